#!/usr/bin/env node
// Lay out the npm packages for `npm pack` / `npm publish`, in Biome's shape:
//   node npm/stage.mjs wrapper OUT                      -> OUT/lockgen/
//   node npm/stage.mjs platform NAME BINARY OUT         -> OUT/cli-NAME/ (NAME from platforms.json)
// The wrapper's version must be Cargo.toml's, and its optionalDependencies exactly the platform
// packages of platforms.json at that version: a release cannot ship a wrapper that names a
// package that was never built. No package has an install script.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const table = JSON.parse(fs.readFileSync(path.join(here, "platforms.json"), "utf8"));
const cargo = fs.readFileSync(path.join(repo, "Cargo.toml"), "utf8");
const version = /^version = "([^"]+)"/m.exec(cargo)?.[1];

function fail(message) {
  process.stderr.write(`stage: ${message}\n`);
  process.exit(2);
}

function write(file, text, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, mode ? { mode } : undefined);
  if (mode) fs.chmodSync(file, mode);
}

function stageWrapper(out) {
  const manifest = JSON.parse(fs.readFileSync(path.join(here, "lockgen", "package.json"), "utf8"));
  if (manifest.version !== version) {
    fail(`npm/lockgen/package.json has version ${manifest.version}, Cargo.toml ${version}`);
  }
  const expected = Object.fromEntries(
    table.platforms.map((p) => [`${table.scope}/cli-${p.name}`, version]),
  );
  if (JSON.stringify(manifest.optionalDependencies) !== JSON.stringify(expected)) {
    fail(`npm/lockgen/package.json optionalDependencies must be ${JSON.stringify(expected)}`);
  }
  if (manifest.scripts && Object.keys(manifest.scripts).some((s) => /install/.test(s))) {
    fail("the wrapper may not have install scripts");
  }
  // The pre-commit hook's package (the repository's package.json) runs the same launcher over
  // the same platform packages.
  const hook = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
  if (hook.version !== version || JSON.stringify(hook.optionalDependencies) !== JSON.stringify(expected)) {
    fail(`package.json (the pre-commit hook's) must have version ${version} and the same optionalDependencies`);
  }
  const dir = path.join(out, "lockgen");
  delete manifest.scripts;
  write(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  write(path.join(dir, "bin", "lockgen.js"), fs.readFileSync(path.join(here, "lockgen", "bin", "lockgen.js")), 0o755);
  write(path.join(dir, "README.md"), fs.readFileSync(path.join(here, "lockgen", "README.md")));
  write(path.join(dir, "LICENSE"), fs.readFileSync(path.join(repo, "LICENSE")));
  return dir;
}

function stagePlatform(name, binary, out) {
  const platform = table.platforms.find((p) => p.name === name);
  if (!platform) fail(`unknown platform ${name}; platforms.json has ${table.platforms.map((p) => p.name).join(", ")}`);
  if (!fs.statSync(binary, { throwIfNoEntry: false })?.isFile()) fail(`no binary at ${binary}`);
  const exe = platform.os === "win32" ? "lockgen.exe" : "lockgen";
  const manifest = {
    name: `${table.scope}/cli-${name}`,
    version,
    description: `The lockgen binary for ${name} (${platform.target}); install \`lockgen\`, which picks it`,
    license: "MIT",
    repository: { type: "git", url: "git+https://github.com/lockgen/lockgen.git", directory: "npm" },
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc ? { libc: [platform.libc] } : {}),
    files: [`bin/${exe}`, "README.md", "LICENSE"],
    preferUnplugged: true,
  };
  const dir = path.join(out, `cli-${name}`);
  write(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  write(path.join(dir, "bin", exe), fs.readFileSync(binary), 0o755);
  write(
    path.join(dir, "README.md"),
    `# ${manifest.name}\n\nThe \`lockgen\` binary for ${name}. Install [\`lockgen\`](https://www.npmjs.com/package/lockgen) instead: it depends on this package and runs the binary.\n`,
  );
  write(path.join(dir, "LICENSE"), fs.readFileSync(path.join(repo, "LICENSE")));
  return dir;
}

if (!version) fail("no version in Cargo.toml");
const [kind, ...args] = process.argv.slice(2);
if (kind === "wrapper" && args.length === 1) {
  process.stdout.write(stageWrapper(path.resolve(args[0])) + "\n");
} else if (kind === "platform" && args.length === 3) {
  process.stdout.write(stagePlatform(args[0], path.resolve(args[1]), path.resolve(args[2])) + "\n");
} else {
  fail("usage: stage.mjs wrapper OUT | stage.mjs platform NAME BINARY OUT");
}
