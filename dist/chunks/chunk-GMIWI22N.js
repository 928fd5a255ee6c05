#!/usr/bin/env node
import { createRequire as __mrDriftCreateRequire } from 'node:module';
const require = __mrDriftCreateRequire(import.meta.url);

// src/adapters/interrupt.ts
import { rmSync } from "node:fs";
var pending = /* @__PURE__ */ new Set();
var listening = false;
function removePending() {
  for (const dir of pending) rmSync(dir, { recursive: true, force: true });
  pending.clear();
}
function removeOnExit(dir) {
  if (!listening) {
    process.on("exit", removePending);
    listening = true;
  }
  pending.add(dir);
  return { release: () => void pending.delete(dir) };
}
function exitOnSignals() {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143]
  ]) {
    process.once(signal, () => {
      process.stderr.write(`
mr-drift: interrupted (${signal}); removing temporary files
`);
      process.exit(code);
    });
  }
}

// src/version.ts
var VERSION = "0.1.0";

// src/cli/cli-wording.ts
var FLAG = {
  path: "--path",
  regions: "--regions",
  kubeconfig: "--kubeconfig",
  context: "--context",
  mode: "--mode",
  "ignore-file": "--ignore-file",
  base: "--base",
  "request-timeout": "--request-timeout",
  "render-timeout": "--render-timeout",
  config: "--config",
  templates: "--templates",
  force: "--force"
};
var CLI_WORDING = {
  option: (key, placeholder) => placeholder ? `${FLAG[key]} ${placeholder}` : FLAG[key],
  setting: (key, value) => `${FLAG[key]} ${value}`,
  subject: (key, value) => value === void 0 ? FLAG[key] : `${FLAG[key]} ${value}`
};

export {
  removeOnExit,
  exitOnSignals,
  VERSION,
  CLI_WORDING
};
