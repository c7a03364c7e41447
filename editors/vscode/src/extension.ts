// The lockgen extension: a client for `lockgen lsp`, the language server in the lockgen binary.
// The binary comes bundled (bin/lockgen), or from the `lockgen.path` setting. The server does the
// work: whole-project diagnostics on open, change and save, hover docs and quick fixes.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

// The files the server analyses (it decides from the project's inventory which of them count).
// Flows (`*.flow-meta.xml`, `*.flow`) are XML and covered by the XML patterns.
const DOCUMENTS = [
  "**/*.cls",
  "**/*.trigger",
  "**/*-meta.xml",
  "**/*.object",
  "**/*.flow",
  "**/*.md",
];

function binary(context: vscode.ExtensionContext): string {
  const configured = vscode.workspace.getConfiguration("lockgen").get<string>("path", "");
  if (configured) {
    return configured;
  }
  const exe = process.platform === "win32" ? "lockgen.exe" : "lockgen";
  const bundled = context.asAbsolutePath(path.join("bin", exe));
  // A .vsix unpacked by a tool that drops file modes: give the binary its executable bit back.
  if (process.platform !== "win32") {
    try {
      const mode = fs.statSync(bundled).mode;
      if ((mode & 0o111) === 0) {
        fs.chmodSync(bundled, mode | 0o755);
      }
    } catch {
      // Reported when the server fails to start.
    }
  }
  return bundled;
}

// What the server reads from `initializationOptions` and `workspace/didChangeConfiguration`;
// `null` means "the project's lockgen.toml".
function settings(): { failOn: string | null } {
  const failOn = vscode.workspace.getConfiguration("lockgen").get<string>("failOn", "");
  return { failOn: failOn || null };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  if (!vscode.workspace.getConfiguration("lockgen").get<boolean>("enable", true)) {
    return;
  }
  const command = binary(context);
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENTS.map((pattern) => ({ scheme: "file", pattern })),
    initializationOptions: settings(),
    outputChannelName: "lockgen",
  };
  client = new LanguageClient("lockgen", "lockgen", serverOptions, clientOptions);
  await client.start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("lockgen.restart", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("lockgen.enable") || event.affectsConfiguration("lockgen.path")) {
        await stop();
        await start(context);
      } else if (event.affectsConfiguration("lockgen.failOn") && client) {
        await client.sendNotification("workspace/didChangeConfiguration", {
          settings: { lockgen: settings() },
        });
      }
    }),
  );
  await start(context);
}

export function deactivate(): Promise<void> | undefined {
  return stop();
}
