fn main() -> std::process::ExitCode {
    mentorbot::cli::main()
}
