//! The `/program stats` chart: held and missed check-ins per week as a PNG.
//!
//! Drawn without any text so it needs no font (the server may have none installed); the
//! summary next to it in the message says what the bars are.
use plotters::prelude::*;

use crate::engine::organisers::WeekCount;

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 360;
/// Held check-ins (green) and missed ones (red).
pub const HELD: RGBColor = RGBColor(46, 160, 67);
pub const MISSED: RGBColor = RGBColor(218, 54, 51);

/// A grouped bar chart, one group per week (oldest on the left): held, then missed.
pub fn weekly_png(weeks: &[WeekCount]) -> anyhow::Result<Vec<u8>> {
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let top = weeks.iter().map(|w| w.held.max(w.missed)).max().unwrap_or(0).max(1);
        let n = weeks.len().max(1) as i32;
        let mut chart = ChartBuilder::on(&root)
            .margin(20)
            .build_cartesian_2d(0i32..(n * 3), 0u32..(top + top / 10 + 1))?;
        // One unit of space between groups, two bars per group.
        chart.draw_series(weeks.iter().enumerate().flat_map(|(i, w)| {
            let x = i as i32 * 3;
            [
                Rectangle::new([(x, 0), (x + 1, w.held)], HELD.filled()),
                Rectangle::new([(x + 1, 0), (x + 2, w.missed)], MISSED.filled()),
            ]
        }))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0, 0), (n * 3, 0)],
            BLACK.stroke_width(2),
        )))?;
        root.present()?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn draws_a_png_of_the_size_with_both_colours() {
        let now = Utc::now();
        let weeks: Vec<WeekCount> = (0..12)
            .map(|i| WeekCount {
                end: now,
                held: i % 3,
                missed: u32::from(i == 5),
            })
            .collect();
        let png_bytes = weekly_png(&weeks).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
        assert!(pixels.contains(&&[HELD.0, HELD.1, HELD.2][..]));
        assert!(pixels.contains(&&[MISSED.0, MISSED.1, MISSED.2][..]));
    }
}
