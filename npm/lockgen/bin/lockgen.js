#!/usr/bin/env node
// The `lockgen` command of the npm package: find the lockgen binary for this platform and run it
// with the same arguments, standard streams, exit code and signals. The binary comes from the
// platform package npm installed beside this one (@lockgen/cli-<os>-<cpu>[-musl], an optional
// dependency chosen by its os/cpu/libc fields; nothing runs at install time), or from
// $LOCKGEN_BINARY when that is set.
"use strict";

const { spawn } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");

const SCOPE = "@lockgen";

function isMusl() {
  if (process.platform !== "linux") {
    return false;
  }
  try {
    // glibc's Node reports the glibc it runs on; musl's does not.
    const report = process.report && process.report.getReport();
    return !(report && report.header && report.header.glibcVersionRuntime);
  } catch {
    return false;
  }
}

function platformPackage() {
  const suffix = isMusl() ? "-musl" : "";
  return `${SCOPE}/cli-${process.platform}-${process.arch}${suffix}`;
}

function binaryPath() {
  if (process.env.LOCKGEN_BINARY) {
    return process.env.LOCKGEN_BINARY;
  }
  const name = platformPackage();
  const exe = process.platform === "win32" ? "lockgen.exe" : "lockgen";
  try {
    const manifest = require.resolve(`${name}/package.json`);
    return path.join(path.dirname(manifest), "bin", exe);
  } catch {
    process.stderr.write(
      `lockgen: error: no lockgen binary for ${process.platform}-${process.arch}` +
        `${isMusl() ? " (musl)" : ""}: the package ${name} is not installed.\n` +
        "  npm installs it with `lockgen` unless optional dependencies are omitted " +
        "(--omit=optional, --no-optional); reinstall without that, or set LOCKGEN_BINARY " +
        "to a lockgen binary (cargo install --git https://github.com/lockgen/lockgen).\n",
    );
    process.exit(2);
  }
}

function run() {
  const binary = binaryPath();
  const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });
  // Signals sent to this process (kill, a CI runner's cancel) go to lockgen; lockgen decides how
  // to end, and this process ends the same way.
  const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
  const forward = (signal) => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  for (const signal of forwarded) {
    process.on(signal, forward);
  }
  child.on("error", (error) => {
    process.stderr.write(`lockgen: error: cannot run ${binary}: ${error.message}\n`);
    process.exit(2);
  });
  child.on("exit", (code, signal) => {
    for (const s of forwarded) {
      process.removeListener(s, forward);
    }
    if (signal) {
      // End by the same signal, so that a parent sees what lockgen saw.
      process.kill(process.pid, signal);
      // A signal this process survives (none of the usual ones): the shell's convention.
      setTimeout(() => process.exit(128 + (os.constants.signals[signal] || 0)), 200);
      return;
    }
    process.exit(code === null ? 2 : code);
  });
}

run();
