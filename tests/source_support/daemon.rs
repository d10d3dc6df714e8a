//! `git daemon` for the git:// tests: serves every repository under a base path on 127.0.0.1, killed when dropped.

use std::path::Path;
use std::process::Command;

use super::process::Server;

/// `git daemon --export-all` on 127.0.0.1 for the repositories under a base path.
pub struct GitDaemon {
    server: Server,
}

impl GitDaemon {
    /// Serves the repositories under `base` (`git://127.0.0.1:<port>/<name>` is `<base>/<name>`).
    pub fn start(base: &Path) -> GitDaemon {
        // `git-daemon` itself, not `git daemon`: killing the `git` wrapper would leave the daemon running.
        let exec_path = super::run(Command::new("git").arg("--exec-path"));
        let program = Path::new(&exec_path).join("git-daemon");
        let server = Server::start("git daemon", "Ready to rumble", |port| {
            let mut cmd = Command::new(&program);
            cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args(["--verbose", "--reuseaddr", "--export-all", "--informative-errors", "--listen=127.0.0.1"])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.display()))
                .arg(base);
            cmd
        });
        GitDaemon { server }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The URL of `<base>/<repo>`.
    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port())
    }

    /// What the daemon logged (for failure messages).
    pub fn log(&self) -> String {
        self.server.log()
    }
}
