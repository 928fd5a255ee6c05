#!/usr/bin/env node
import { createRequire as __mrDriftCreateRequire } from 'node:module';
const require = __mrDriftCreateRequire(import.meta.url);

// src/version.ts
var VERSION = "0.1.0";

export {
  VERSION
};
