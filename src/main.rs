//! The `driftless` binary: parse the command line and hand over to the library.

/// The daemon allocates many small JSON values; mimalloc serves them faster than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    driftless::cli::main()
}
