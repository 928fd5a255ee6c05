#!/usr/bin/env node
import { createRequire as __mrDriftCreateRequire } from 'node:module';
const require = __mrDriftCreateRequire(import.meta.url);
import {
  CLI_WORDING,
  VERSION,
  removeOnExit
} from "./chunk-GMIWI22N.js";
import {
  displayPath,
  formatPath,
  isAutoscaler,
  locate,
  parseJq,
  require_dist,
  scaleTargetOf,
  targets,
  toRules,
  unknownFieldMessage,
  validateIgnoreDifferences
} from "./chunk-URDI3BMX.js";
import {
  BaseUnavailable,
  ClusterAccessError,
  Command,
  DuplicateObjectsError,
  IgnoreFileError,
  InvalidArgumentError,
  KubeconfigError,
  MrDriftError,
  Option,
  RenderError,
  ToolMissingError,
  TreeSettingsError,
  UsageError,
  count,
  listProblems,
  plural
} from "./chunk-GHUGT5YQ.js";
import {
  __commonJS,
  __toESM
} from "./chunk-6WB2FJIM.js";

// node_modules/picocolors/picocolors.js
var require_picocolors = __commonJS({
  "node_modules/picocolors/picocolors.js"(exports, module) {
    var p = process || {};
    var argv = p.argv || [];
    var env = p.env || {};
    var isColorSupported = !(!!env.NO_COLOR || argv.includes("--no-color")) && (!!env.FORCE_COLOR || argv.includes("--color") || p.platform === "win32" || (p.stdout || {}).isTTY && env.TERM !== "dumb" || !!env.CI);
    var formatter = (open, close, replace = open) => (input) => {
      let string = "" + input, index2 = string.indexOf(close, open.length);
      return ~index2 ? open + replaceClose(string, close, replace, index2) + close : open + string + close;
    };
    var replaceClose = (string, close, replace, index2) => {
      let result = "", cursor = 0;
      do {
        result += string.substring(cursor, index2) + replace;
        cursor = index2 + close.length;
        index2 = string.indexOf(close, cursor);
      } while (~index2);
      return result + string.substring(cursor);
    };
    var createColors = (enabled = isColorSupported) => {
      let f = enabled ? formatter : () => String;
      return {
        isColorSupported: enabled,
        reset: f("\x1B[0m", "\x1B[0m"),
        bold: f("\x1B[1m", "\x1B[22m", "\x1B[22m\x1B[1m"),
        dim: f("\x1B[2m", "\x1B[22m", "\x1B[22m\x1B[2m"),
        italic: f("\x1B[3m", "\x1B[23m"),
        underline: f("\x1B[4m", "\x1B[24m"),
        inverse: f("\x1B[7m", "\x1B[27m"),
        hidden: f("\x1B[8m", "\x1B[28m"),
        strikethrough: f("\x1B[9m", "\x1B[29m"),
        black: f("\x1B[30m", "\x1B[39m"),
        red: f("\x1B[31m", "\x1B[39m"),
        green: f("\x1B[32m", "\x1B[39m"),
        yellow: f("\x1B[33m", "\x1B[39m"),
        blue: f("\x1B[34m", "\x1B[39m"),
        magenta: f("\x1B[35m", "\x1B[39m"),
        cyan: f("\x1B[36m", "\x1B[39m"),
        white: f("\x1B[37m", "\x1B[39m"),
        gray: f("\x1B[90m", "\x1B[39m"),
        bgBlack: f("\x1B[40m", "\x1B[49m"),
        bgRed: f("\x1B[41m", "\x1B[49m"),
        bgGreen: f("\x1B[42m", "\x1B[49m"),
        bgYellow: f("\x1B[43m", "\x1B[49m"),
        bgBlue: f("\x1B[44m", "\x1B[49m"),
        bgMagenta: f("\x1B[45m", "\x1B[49m"),
        bgCyan: f("\x1B[46m", "\x1B[49m"),
        bgWhite: f("\x1B[47m", "\x1B[49m"),
        blackBright: f("\x1B[90m", "\x1B[39m"),
        redBright: f("\x1B[91m", "\x1B[39m"),
        greenBright: f("\x1B[92m", "\x1B[39m"),
        yellowBright: f("\x1B[93m", "\x1B[39m"),
        blueBright: f("\x1B[94m", "\x1B[39m"),
        magentaBright: f("\x1B[95m", "\x1B[39m"),
        cyanBright: f("\x1B[96m", "\x1B[39m"),
        whiteBright: f("\x1B[97m", "\x1B[39m"),
        bgBlackBright: f("\x1B[100m", "\x1B[49m"),
        bgRedBright: f("\x1B[101m", "\x1B[49m"),
        bgGreenBright: f("\x1B[102m", "\x1B[49m"),
        bgYellowBright: f("\x1B[103m", "\x1B[49m"),
        bgBlueBright: f("\x1B[104m", "\x1B[49m"),
        bgMagentaBright: f("\x1B[105m", "\x1B[49m"),
        bgCyanBright: f("\x1B[106m", "\x1B[49m"),
        bgWhiteBright: f("\x1B[107m", "\x1B[49m")
      };
    };
    module.exports = createColors();
    module.exports.createColors = createColors;
  }
});

// src/cli/check-command.ts
import { statSync as statSync2 } from "node:fs";
import { dirname as dirname5 } from "node:path";
var import_picocolors = __toESM(require_picocolors(), 1);

// src/core/report/model.ts
var REPORT_SCHEMA_VERSION = 1;
function countFindings(region) {
  const counts = { missing: 0, changed: 0, extra: 0 };
  for (const f of region.findings) counts[f.type]++;
  return counts;
}
function reportExitCode(report) {
  if (report.regions.some((r) => r.status === "error")) return 2;
  if (report.regions.some((r) => r.status === "drift")) return 1;
  return 0;
}

// src/core/report/origin.ts
function comparedWithBase(report) {
  const base = report.source.base;
  return base !== void 0 && base.revision !== void 0 && base.warning === void 0;
}
function isDriftFinding(f) {
  return f.origin !== "pr";
}
function prPart(f) {
  if (f.type !== "changed" || f.fields.length === 0) return f.origin === "pr" ? f : void 0;
  const fields = f.fields.filter((d) => d.origin === "pr" || d.origin === "both");
  return fields.length > 0 ? { ...f, fields } : void 0;
}
function driftPart(f) {
  if (f.type !== "changed" || f.fields.length === 0) return isDriftFinding(f) ? f : void 0;
  const fields = f.fields.filter((d) => d.origin !== "pr");
  return fields.length > 0 ? { ...f, fields } : void 0;
}
function overwritesDrift(f) {
  return f.fields.some((d) => d.origin === "both");
}
function countOrigins(region) {
  const counts = { pr: 0, drift: 0, both: 0 };
  for (const f of region.findings) {
    if (prPart(f)) counts.pr++;
    if (driftPart(f)) counts.drift++;
    if (overwritesDrift(f)) counts.both++;
  }
  return counts;
}
function regionsChangedByPr(report) {
  return report.regions.filter((r) => r.status !== "error" && r.findings.some((f) => prPart(f) !== void 0)).map((r) => r.name);
}
function originSections(region) {
  if (!region.findings.some((f) => f.origin !== void 0)) return void 0;
  const pick = (fn) => region.findings.map(fn).filter((f) => f !== void 0);
  return [
    { part: "pr", findings: pick(prPart) },
    { part: "drift", findings: pick(driftPart) }
  ];
}

// src/core/report/outcome.ts
function checkOutcome(report, policy) {
  const code = reportExitCode(report);
  if (code === 2) return { code: 2, because: "error" };
  if (code === 1 && policy.failOnDrift) return { code: 1, because: "drift" };
  if (policy.failOnPrChanges && regionsChangedByPr(report).length > 0)
    return { code: 1, because: "pr-changes" };
  return { code: 0 };
}

// src/core/report/risks.ts
var RISK_IDS = [
  "prune-data",
  "immutable-field",
  "selector-change",
  "replicas-to-zero"
];
var RISK_REASONS = {
  "prune-data": "a sync would delete this object and what it holds: a claim and its volume, every custom resource of a CRD, everything in a Namespace, the pods of a StatefulSet with volume claims",
  "immutable-field": "the API server refuses to update this field in place: a sync fails until the object is deleted and recreated (Argo CD Force=true,Replace=true; Flux force: true)",
  "selector-change": "the selector decides which pods a Service sends traffic to or a workload owns: a sync changes it",
  "replicas-to-zero": "Git sets replicas to 0: a sync stops every pod of this workload"
};
function sortRisks(risks) {
  const set2 = new Set(risks);
  return RISK_IDS.filter((r) => set2.has(r));
}

// src/core/report/text.ts
var same = (s) => s;
var PLAIN_STYLE = {
  bold: same,
  dim: same,
  red: same,
  green: same,
  yellow: same,
  cyan: same
};
var MAX_VALUE = 160;
function formatValue(v) {
  if (v === void 0) return "(unset)";
  const text = JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}\u2026` : text;
}
function objectLine(f) {
  return `${f.apiVersion} ${f.kind} ${f.namespace ? `${f.namespace}/` : ""}${f.name}`;
}
function whoText(w) {
  return [w.manager, w.operation, w.time].filter(Boolean).join(", ");
}
function fieldLine(d, style) {
  const who = whoText(d);
  if (d.origin === "both") {
    return `      ${d.path}: changed in the cluster${who ? ` (${who})` : ""}; ${style.bold("this PR changes it too")} (see above)`;
  }
  const values2 = `${style.green(formatValue(d.desired))} -> ${style.red(formatValue(d.live))}`;
  return `      ${d.path}: ${values2}${who ? style.dim(`  (${who})`) : ""}${d.redacted ? style.dim("  [secret value: fingerprints only]") : ""}`;
}
function regionLines(r, style) {
  const lines = [];
  const c = countFindings(r);
  const objects = r.objects !== void 0 ? `${count(r.objects, "object")}` : "";
  if (r.status === "error") {
    lines.push(
      `${style.bold(r.name)}  ${style.red("error")}${r.context ? style.dim(`  (context ${r.context})`) : ""}`
    );
    for (const l of (r.error ?? "unknown error").split("\n")) lines.push(`  ${l}`);
  } else if (r.status === "in-sync") {
    lines.push(
      // With a base, an in-sync region may still hold the PR's own changes: it has no drift.
      `${style.bold(r.name)}  ${style.green(r.findings.length > 0 ? "no drift" : "in sync")}${objects ? style.dim(`  (${objects})`) : ""}`
    );
  } else {
    const risky = r.findings.filter((f) => f.risks && f.risks.length > 0).length;
    const parts = [
      `${c.missing} missing`,
      `${c.changed} changed`,
      `${c.extra} extra`,
      ...risky > 0 ? [`${risky} risky`] : []
    ].join(", ");
    lines.push(
      `${style.bold(r.name)}  ${style.yellow("drift")}  ${style.dim(`(${objects ? `${objects}; ` : ""}${parts})`)}`
    );
  }
  const sections = originSections(r);
  if (sections) {
    const o = countOrigins(r);
    lines.push(
      style.dim(
        `  this PR changes ${count(o.pr, "object")}; ${count(o.drift, "object")} drifted${o.both > 0 ? `; the merge overwrites hand changes in ${count(o.both, "object")}` : ""}`
      )
    );
  }
  for (const section of sections ?? [{ part: "drift", findings: r.findings }]) {
    if (sections) {
      lines.push(
        section.part === "pr" ? style.bold("  this PR will change  (cluster now -> after the merge):") : style.bold("  drift already in the cluster  (git -> live):")
      );
      if (section.findings.length === 0) lines.push(style.dim("    nothing"));
    }
    if (section.part === "pr") {
      for (const f of section.findings) lines.push(...prFindingLines(f, style));
      continue;
    }
    for (const f of section.findings) {
      const risks = (f.risks ?? []).map((id) => style.red(`      risk ${id}: ${RISK_REASONS[id]}`));
      if (f.type === "missing") {
        lines.push(
          `  ${style.red("-")} ${objectLine(f)}  ${style.red("missing")}${f.source ? style.dim(`  (from ${f.source})`) : ""}`
        );
        lines.push(...risks);
      } else if (f.type === "extra") {
        const made = f.createdBy ? `; made by ${whoText(f.createdBy)}` : "";
        const fate = f.notPrunedBy ? `not in Git; a sync does not prune it: ${f.notPrunedBy}` : "not in Git: prune candidate";
        lines.push(
          `  ${style.yellow("+")} ${objectLine(f)}  ${style.yellow("extra")}${style.dim(`  (${fate}${made})`)}`
        );
        lines.push(...risks);
      } else {
        const notes = [
          ...f.source ? [`from ${f.source}`] : [],
          ...f.replacedBy ? [`a sync replaces it: ${f.replacedBy}`] : []
        ];
        lines.push(
          `  ${style.cyan("~")} ${objectLine(f)}  ${style.cyan("changed")}${notes.length > 0 ? style.dim(`  (${notes.join("; ")})`) : ""}`
        );
        lines.push(...risks);
        lines.push(style.dim("      path: git -> live  (who changed it, when)"));
        for (const d of f.fields) lines.push(fieldLine(d, style));
      }
    }
  }
  if (r.ignored && r.ignored.length > 0) {
    const byRule = /* @__PURE__ */ new Map();
    for (const i2 of r.ignored) byRule.set(i2.rule, (byRule.get(i2.rule) ?? 0) + 1);
    for (const [rule, n] of byRule)
      lines.push(
        style.dim(
          `  ignored: ${count(n, "difference")} hidden by ${rule.startsWith("#") ? `rule ${rule}` : rule}`
        )
      );
  }
  for (const w of r.warnings ?? []) lines.push(style.yellow(`  warning: ${w}`));
  return lines;
}
function prFindingLines(f, style) {
  const from = f.source ? style.dim(`  (from ${f.source})`) : "";
  const risks = (f.risks ?? []).map((id) => style.red(`      risk ${id}: ${RISK_REASONS[id]}`));
  if (f.type === "missing")
    return [
      `  ${style.green("+")} ${objectLine(f)}  ${style.green("added by this PR")}${from}`,
      ...risks
    ];
  if (f.type === "extra") {
    return [
      `  ${style.red("-")} ${objectLine(f)}  ${style.red("removed by this PR")}${style.dim("  (still in the cluster: prune candidate)")}`,
      ...risks
    ];
  }
  const lines = [
    `  ${style.cyan("~")} ${objectLine(f)}  ${style.cyan("changed by this PR")}${from}`,
    ...risks
  ];
  for (const d of f.fields) {
    const values2 = `${style.red(formatValue(d.live))} -> ${style.green(formatValue(d.desired))}`;
    const secret = d.redacted ? style.dim("  [secret value: fingerprints only]") : "";
    if (d.origin === "both") {
      const who = whoText(d);
      lines.push(
        `      ${d.path}: ${values2}${secret}  ${style.yellow(`OVERWRITES a change made in the cluster${who ? ` (${who})` : ""}`)}`
      );
    } else lines.push(`      ${d.path}: ${values2}${secret}`);
  }
  return lines;
}
function skewValueText(v) {
  if (v.sha256 !== void 0) return `(long value, sha256 ${v.sha256.slice(0, 12)})`;
  return formatValue("value" in v ? v.value : void 0);
}
function skewLines(skew, style) {
  const lines = [
    style.bold(
      `skew between regions: ${count(skew.length, "field")} where Git has one value and the clusters do not`
    )
  ];
  for (const e of skew) {
    lines.push(`  ${objectLine(e)}  ${e.path}`);
    lines.push(style.dim(`      git: ${skewValueText(e.desired)}`));
    for (const g of e.live) {
      const text = `      ${skewValueText(g)}  in ${g.regions.join(", ")}`;
      lines.push(g === e.live[0] ? text : style.yellow(text));
    }
  }
  return lines;
}
function renderText(report, style = PLAIN_STYLE) {
  const lines = [
    style.dim(
      `mr-drift ${report.tool.version}: ${report.mode} check of ${report.source.path}${report.source.revision ? ` at ${report.source.revision}` : ""}`
    ),
    ""
  ];
  for (const r of report.regions) lines.push(...regionLines(r, style), "");
  if (report.skew && report.skew.length > 0) lines.push(...skewLines(report.skew, style), "");
  const n = (s) => report.regions.filter((r) => r.status === s).length;
  const changedByPr = comparedWithBase(report) ? `; this PR changes ${count(regionsChangedByPr(report).length, "region")} (compared with base ${report.source.base.revision.slice(0, 12)})` : "";
  lines.push(
    `${count(report.regions.length, "region")}: ${n("in-sync")} in sync, ${n("drift")} with drift, ${n("error")} with errors${changedByPr}.`
  );
  if (report.source.base?.warning)
    lines.push(style.yellow(`warning: ${report.source.base.warning}`));
  return `${lines.join("\n")}
`;
}

// src/core/report/markdown-escape.ts
var SAFE_ASCII = /[A-Za-z0-9 ,.;:/=?%^-]/;
var INVISIBLE = (
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
);
var ZERO_WIDTH_SPACE = "&#8203;";
function escapeInline(text) {
  const flat = text.replace(/\r\n?|\n/g, " ").replace(INVISIBLE, "\uFFFD");
  let out = "";
  for (let i2 = 0; i2 < flat.length; i2++) {
    const ch = flat[i2];
    if (ch === "@" || ch === "#") {
      out += `&#${ch.charCodeAt(0)};${ZERO_WIDTH_SPACE}`;
    } else if (ch === ":" && flat.startsWith("//", i2 + 1)) {
      out += `:${ZERO_WIDTH_SPACE}`;
    } else if ((ch === "w" || ch === "W") && /^www\./i.test(flat.slice(i2, i2 + 4))) {
      out += `${flat.slice(i2, i2 + 3)}${ZERO_WIDTH_SPACE}`;
      i2 += 2;
    } else if (ch.charCodeAt(0) < 128 && !SAFE_ASCII.test(ch)) {
      out += `&#${ch.charCodeAt(0)};`;
    } else {
      out += ch;
    }
  }
  return out;
}
function inlineCode(text) {
  return `<code>${escapeInline(text)}</code>`;
}
function codeBlock(lines, language = "") {
  const clean = lines.map((l) => l.replace(/\r/g, "").replace(INVISIBLE, "\uFFFD"));
  const longestRun = Math.max(0, ...clean.map((l) => longestBacktickRun(l)));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  return `${fence}${language}
${clean.join("\n")}
${fence}`;
}
function longestBacktickRun(line) {
  let longest = 0;
  for (const m of line.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}
function fileLink(path, urlBase) {
  const text = inlineCode(path);
  if (!urlBase || !isRepoRelative(path)) return text;
  return `[${text}](${urlBase}${encodePath(path)})`;
}
function isRepoRelative(path) {
  if (path === "" || path.startsWith("/") || path.includes("\\")) return false;
  if (/[\u0000-\u001f]/.test(path)) return false;
  return path.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}
function encodePath(path) {
  return path.split("/").map(
    (seg) => encodeURIComponent(seg).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
    )
  ).join("/");
}

// src/core/report/markdown-limits.ts
var FULL_LIMITS = { maxValueChars: 2e4, maxFields: 1e3, maxSkew: 100 };
var TIGHT_LIMITS = { maxValueChars: 120, maxFields: 10 };

// src/core/report/markdown-values.ts
var import_yaml = __toESM(require_dist(), 1);
function formatValue2(value, redacted, max) {
  if (redacted) return [`(secret value; fingerprint ${String(value)})`];
  let text;
  if (typeof value === "string") {
    text = looksAmbiguous(value) ? JSON.stringify(value) : value;
  } else if (value === null || typeof value !== "object") {
    text = JSON.stringify(value) ?? String(value);
  } else {
    text = (0, import_yaml.stringify)(value, { lineWidth: 0 }).replace(/\n$/, "");
  }
  if (text.length > max) {
    const rest = text.length - max;
    text = `${text.slice(0, max)}\u2026 (${count(rest, "more character")})`;
  }
  return text.split("\n");
}
function looksAmbiguous(s) {
  return s === "" || s !== s.trim() || /^(?:true|false|null|~|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i.test(s) || s.startsWith('"');
}
function formatTime(iso) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}
function cut(text, max) {
  return text.length > max ? `${text.slice(0, max)}\u2026 (cut)` : text;
}
function listWithMore(items, max, line) {
  const lines = items.slice(0, max).map(line);
  if (items.length > max) lines.push(`- \u2026 and ${items.length - max} more (see the JSON report)`);
  return lines.join("\n");
}
function objectName(ref) {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}
function atTime(time) {
  return time ? ` at ${escapeInline(formatTime(time))}` : "";
}
function managerAt(manager, time) {
  return `${inlineCode(manager)}${atTime(time)}`;
}
function byManagerInDiff(manager, time) {
  if (!manager) return "";
  return ` by ${cut(manager, 128)}${time ? ` at ${formatTime(cut(time, 64))}` : ""}`;
}

// src/core/report/markdown-object.ts
var SIDES = {
  "git-live": {
    before: "desired",
    after: "live",
    added: " added in the cluster",
    removed: " removed from the cluster",
    secretBefore: "(Secret value, not shown)",
    types: {
      missing: "missing from the cluster",
      changed: "changed in the cluster",
      extra: "in the cluster but not in Git"
    }
  },
  "live-merge": {
    before: "live",
    after: "desired",
    added: " added by this PR",
    removed: " removed by this PR",
    secretBefore: "(Secret value in the cluster, not shown)",
    types: {
      missing: "added by this PR (not in the cluster yet)",
      changed: "changed by this PR",
      extra: "removed by this PR (still in the cluster: a prune candidate)"
    }
  }
};
function objectHeading(f, options, sides) {
  const parts = [
    `**${escapeInline(f.kind)}** ${inlineCode(objectName(f))} (${escapeInline(f.apiVersion)})`,
    SIDES[sides].types[f.type]
  ];
  if (f.notPrunedBy) parts.push(`a sync does not prune it: ${escapeInline(f.notPrunedBy)}`);
  if (f.replacedBy) parts.push(`a sync replaces it: ${escapeInline(f.replacedBy)}`);
  if (f.source) parts.push(`from ${fileLink(f.source, options.fileUrlBase)}`);
  let heading = parts.join(" \xB7 ");
  if (f.risks && f.risks.length > 0) {
    heading += `

${f.risks.map((r) => `\u{1F6A9} **Risk** ${inlineCode(r)}: ${escapeInline(RISK_REASONS[r])}`).join("<br>\n")}`;
  }
  return heading;
}
function renderObjectAtAllDetails(f, limits, options, sides) {
  return [
    renderObject(f, limits, options, sides),
    renderObject(f, TIGHT_LIMITS, options, sides),
    `${objectHeading(f, options, sides)}

_Details of this object are too large for one comment; see the full report._`
  ];
}
function renderObject(f, limits, options, sides) {
  const out = [objectHeading(f, options, sides)];
  const who = sides === "git-live" ? whoChanged(f) : overwrittenChanges(f.fields);
  if (who) out.push(who);
  if (f.fields.length > 0) {
    const shown = f.fields.slice(0, limits.maxFields);
    const lines = shown.flatMap(
      (d) => fieldDiffLines(d, limits.maxValueChars, options.secretFingerprints ?? true, sides)
    );
    const hidden = f.fields.length - shown.length;
    if (hidden > 0) lines.push(`@@ \u2026 ${hidden} more ${plural(hidden, "field")} @@`);
    out.push(codeBlock(lines, "diff"));
  }
  return out.join("\n\n");
}
function whoChanged(f) {
  if (f.createdBy) return madeBy(f.createdBy);
  const seen = /* @__PURE__ */ new Set();
  const items = [];
  for (const d of f.fields) {
    if (!d.manager) continue;
    const key = `${d.manager}\0${d.time ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(managerAt(d.manager, d.time));
  }
  if (items.length === 0) return void 0;
  return `Changed by ${items.join("; ")}`;
}
function madeBy(c) {
  return `Made by ${managerAt(c.manager, c.time)}`;
}
function overwrittenChanges(fields) {
  const overwritten = fields.filter((d) => d.origin === "both");
  if (overwritten.length === 0) return void 0;
  const items = overwritten.slice(0, 10).map((d) => {
    const who = d.manager ? ` by ${inlineCode(d.manager)}` : "";
    return `${inlineCode(d.path.length > 300 ? `${d.path.slice(0, 300)}\u2026` : d.path)} (changed in the cluster${who}${atTime(d.time)})`;
  });
  const more = overwritten.length > 10 ? `; and ${overwritten.length - 10} more` : "";
  return `\u26A0\uFE0F **Merging overwrites a change made in the cluster:** ${items.join("; ")}${more}.`;
}
function fieldDiffLines(d, maxValueChars, fingerprints2, sides) {
  const words = SIDES[sides];
  const path = cut(d.path, 500);
  if (sides === "git-live" && d.origin === "both") {
    return [
      `@@ ${path} @@ changed in the cluster${byManagerInDiff(d.manager, d.time)}; this PR changes it too (see above)`
    ];
  }
  const before = d[words.before];
  const after = d[words.after];
  let note = "";
  if (before === void 0 && after !== void 0) note = words.added;
  else if (after === void 0 && before !== void 0) note = words.removed;
  if (sides === "git-live") note += byManagerInDiff(d.manager, d.time);
  else if (d.origin === "both") note += " (overwrites a change made in the cluster)";
  const lines = [`@@ ${path} @@${note}`];
  if (d.redacted && !fingerprints2) {
    if (before !== void 0) lines.push(`- ${words.secretBefore}`);
    if (after !== void 0) {
      lines.push(`+ (${before !== void 0 ? "a different " : ""}Secret value, not shown)`);
    }
    return lines;
  }
  if (before !== void 0) {
    lines.push(...formatValue2(before, d.redacted, maxValueChars).map((l) => `- ${l}`));
  }
  if (after !== void 0) {
    lines.push(...formatValue2(after, d.redacted, maxValueChars).map((l) => `+ ${l}`));
  }
  return lines;
}

// src/core/report/markdown-origin.ts
var ORIGIN_TABLE_HEADER = [
  "| Region | Status | Objects | This PR changes | Drift | PR overwrites drift |",
  "| --- | --- | ---: | ---: | ---: | ---: |"
].join("\n");
function originTableCells(region) {
  const o = countOrigins(region);
  return `${o.pr} | ${o.drift} | ${o.both > 0 ? `\u26A0\uFE0F ${o.both}` : "0"}`;
}
function originLegend(report) {
  const short = report.source.base?.revision?.slice(0, 12) ?? "";
  return [
    `Compared with the pull request's base ${inlineCode(short)}: **This PR changes** counts objects the merge will change, **Drift** objects that already differ from Git in the cluster, **PR overwrites drift** objects where the pull request changes a field that was also changed in the cluster (the merge overwrites that change).`,
    "",
    'In "This PR will change", `-` is the value in the cluster now and `+` the value after the merge. In "Drift already in the cluster", `-` is the value in Git and `+` the value in the cluster.'
  ].join("\n");
}
function baseWarning(report) {
  const w = report.source.base?.warning;
  if (!w) return void 0;
  return `> \u26A0\uFE0F ${escapeInline(cut(w, 1e3))}`;
}
function prVerdict(report) {
  if (!comparedWithBase(report)) return void 0;
  const n = regionsChangedByPr(report).length;
  if (n === 0) return void 0;
  return `this PR changes ${n} of ${count(report.regions.length, "region")}`;
}
function originSummary(region) {
  if (!originSections(region)) return void 0;
  const o = countOrigins(region);
  const parts = [`this PR: ${count(o.pr, "object")}`, `drift: ${count(o.drift, "object")}`];
  if (o.both > 0) parts.push(`\u26A0\uFE0F overwrites drift: ${count(o.both, "object")}`);
  return parts.join(" \xB7 ");
}
function originObjects(region, limits, options) {
  const sections = originSections(region);
  if (!sections) return void 0;
  const [pr, drift] = sections;
  const prObjects = pr.findings.map(
    (f) => renderObjectAtAllDetails(f, limits, options, "live-merge")
  );
  const driftObjects = drift.findings.map(
    (f) => renderObjectAtAllDetails(f, limits, options, "git-live")
  );
  const prHeading = `**This PR will change** (${count(pr.findings.length, "object")}) \xB7 \`-\` in the cluster now, \`+\` after the merge`;
  const driftHeading = `**Drift already in the cluster** (${count(drift.findings.length, "object")}) \xB7 \`-\` Git, \`+\` the cluster`;
  const out = [];
  let pending = "";
  if (prObjects.length === 0) pending = `**This PR will change**: nothing in this region.

`;
  else out.push(...glue(`${prHeading}

`, prObjects));
  if (driftObjects.length > 0) out.push(...glue(`${pending}${driftHeading}

`, driftObjects));
  else if (out.length > 0) {
    const last = out.length - 1;
    out[last] = out[last].map(
      (r) => `${r}

**Drift already in the cluster**: none.`
    );
  }
  return out;
}
function glue(text, objects) {
  const [first, ...rest] = objects;
  return [first.map((r) => `${text}${r}`), ...rest];
}

// src/core/report/markdown-head.ts
var STATUS_CELL = {
  "in-sync": "\u2705 in sync",
  drift: "\u26A0\uFE0F drift",
  error: "\u274C error"
};
function verdictLine(report) {
  const total = report.regions.length;
  const drift = report.regions.filter((r) => r.status === "drift").length;
  const errors = report.regions.filter((r) => r.status === "error").length;
  if (total === 0) return "no regions were checked";
  const parts = [];
  if (errors > 0) parts.push(`${count(errors, "region")} could not be checked`);
  const pr = prVerdict(report);
  if (pr) parts.push(pr);
  if (drift > 0) parts.push(`drift in ${drift} of ${count(total, "region")}`);
  else if (pr) parts.push("no drift");
  if (parts.length === 0) return total === 1 ? "in sync" : `all ${count(total, "region")} in sync`;
  return parts.join(", ");
}
function riskyCount(r) {
  return r.findings.filter((f) => f.risks && f.risks.length > 0).length;
}
function renderHead(report, title, maxSkew) {
  const withBase = comparedWithBase(report);
  const rows = report.regions.map((r) => {
    const risky = riskyCount(r);
    const flag = risky > 0 ? ` \xB7 \u{1F6A9} ${risky} risky` : "";
    if (r.status === "error") {
      return `| ${escapeInline(r.name)} | ${STATUS_CELL.error}${flag} | \u2013 | \u2013 | \u2013 | \u2013 |`;
    }
    const c = countFindings(r);
    const objects = r.objects === void 0 ? "\u2013" : String(r.objects);
    if (withBase) {
      const status = r.status === "in-sync" && r.findings.length > 0 ? "\u2705 no drift" : STATUS_CELL[r.status];
      return `| ${escapeInline(r.name)} | ${status}${flag} | ${objects} | ${originTableCells(r)} |`;
    }
    return `| ${escapeInline(r.name)} | ${STATUS_CELL[r.status]}${flag} | ${objects} | ${c.missing} | ${c.changed} | ${c.extra} |`;
  });
  let table = report.regions.length === 0 ? "_No regions were checked._" : [
    withBase ? ORIGIN_TABLE_HEADER : "| Region | Status | Objects | Missing | Changed | Extra |\n| --- | --- | ---: | ---: | ---: | ---: |",
    ...rows
  ].join("\n");
  const anyFindings = report.regions.some((r) => r.findings.length > 0);
  const legend = !anyFindings ? "" : withBase ? `

${originLegend(report)}` : "\n\nIn the diffs, `-` is the value in Git and `+` the value in the cluster.";
  const warning = baseWarning(report);
  if (warning) table += `

${warning}`;
  const skew = report.skew && report.skew.length > 0 ? `

${renderSkew(report.skew, maxSkew)}` : "";
  return `### ${escapeInline(title)}: ${verdictLine(report)}

${table}${skew}${legend}`;
}
var MAX_SKEW_VALUE = 120;
function skewCell(v) {
  if (v.sha256 !== void 0) return `(long value, sha256 ${inlineCode(v.sha256.slice(0, 12))})`;
  if (!("value" in v) || v.value === void 0) return "(not set)";
  const text = typeof v.value === "string" ? v.value : JSON.stringify(v.value);
  return inlineCode(cut(text, MAX_SKEW_VALUE));
}
function renderSkew(skew, max) {
  const n = skew.length;
  const rows = skew.slice(0, max).map((e) => {
    const live = e.live.map((g) => `${skewCell(g)} in ${g.regions.map((r) => escapeInline(r)).join(", ")}`).join("<br>");
    return `| ${escapeInline(e.kind)} ${inlineCode(objectName(e))} | ${inlineCode(cut(e.path, 300))} | ${skewCell(e.desired)} | ${live} |`;
  });
  const more = n > max ? `

_\u2026 and ${n - max} more skewed ${plural(n - max, "field")} in the JSON report._` : "";
  return [
    `**Skew between regions:** ${count(n, "field")} where Git has one value but the regions run different ones.`,
    "",
    "| Object | Field | Git | Live |",
    "| --- | --- | --- | --- |",
    ...rows
  ].join("\n") + more;
}
function renderFoot(report, runDetails) {
  const mode = report.mode === "server-side" ? "server-side (apply dry-run: the API server fills in defaults)" : "read-only (normalised comparison, no write verbs)";
  const lines = [`Mode: ${mode}. Desired state from ${inlineCode(report.source.path)}.`];
  if (runDetails) {
    const revision = report.source.revision ? ` at ${inlineCode(report.source.revision)}` : "";
    lines.push(
      `Checked ${escapeInline(formatTime(report.generatedAt))}${revision} by ${escapeInline(
        `${report.tool.name} ${report.tool.version}`
      )}.`
    );
  }
  return lines.join("\n");
}

// src/core/report/markdown-blocks.ts
function renderReportBlocks(report, options = {}) {
  const limits = options.limits ?? FULL_LIMITS;
  return {
    head: renderHead(report, options.title ?? "mr-drift", limits.maxSkew ?? 10),
    regions: report.regions.map((r) => renderRegion(r, limits, options)).filter((r) => r !== void 0),
    foot: renderFoot(report, options.runDetails ?? false)
  };
}
var MAX_NOTE_CHARS = 4e3;
var MAX_LIST_ITEMS = 30;
function renderRegion(region, limits, options) {
  const notes = [];
  if (region.status === "error") {
    notes.push(
      `**Could not check this region** (it is not reported as in sync):

${codeBlock(
        cut(region.error ?? "unknown error", MAX_NOTE_CHARS).split("\n"),
        "text"
      )}`
    );
  }
  if (region.warnings && region.warnings.length > 0) {
    notes.push(
      listWithMore(region.warnings, MAX_LIST_ITEMS, (w) => `- \u26A0\uFE0F ${escapeInline(cut(w, 500))}`)
    );
  }
  const trailer = [];
  if (region.ignored && region.ignored.length > 0) {
    const n2 = region.ignored.length;
    const items = listWithMore(
      region.ignored,
      MAX_LIST_ITEMS,
      (i2) => `- ${escapeInline(cut(i2.kind, 100))} ${inlineCode(cut(objectName(i2), 300))} ${i2.path === "" ? "(whole object)" : inlineCode(cut(i2.path, 300))}: ${escapeInline(cut(i2.rule, 200))}`
    );
    trailer.push(
      `<details><summary>${n2} ${plural(n2, "field")} hidden by ignore rules and engine settings</summary>

${items}

</details>`
    );
  }
  if (region.findings.length === 0 && notes.length === 0 && trailer.length === 0) return void 0;
  const objects = originObjects(region, limits, options) ?? region.findings.map((f) => renderObjectAtAllDetails(f, limits, options, "git-live"));
  const n = region.findings.length;
  const risky = riskyCount(region);
  const riskyNote = risky > 0 ? `, ${risky} risky` : "";
  const byOrigin = region.status === "error" ? void 0 : originSummary(region);
  const what = region.status === "error" ? "error" : byOrigin ? `${byOrigin}${riskyNote}` : n > 0 ? `drift: ${count(n, "object")}${riskyNote}` : STATUS_CELL[region.status].replace(/^\S+ /, "");
  return {
    name: region.name,
    summary: `<b>${escapeInline(region.name)}</b> \xB7 ${what}`,
    open: n <= (options.openUpTo ?? 5),
    notes,
    objects,
    trailer
  };
}

// src/core/report/markdown-pack.ts
var COUNT = "\0parts\0";
var SEPARATOR = "\n\n";
function packReport(blocks, options) {
  const measure = options.measure ?? ((s) => s.length);
  const prefix = options.partPrefix ?? (() => "");
  const fullNote = options.fullReportNote ?? "";
  const reserve = measure(prefix(99, 99)) + measure(continuationLine(99)) + measure(truncationNote(999999, 999, fullNote)) + measure(blocks.foot) + measure(splitNote(99, fullNote)) + 64;
  const room = options.budget - reserve;
  if (room < 2e3) throw new Error(`packReport: budget ${options.budget} is too small`);
  const items = [];
  blocks.regions.forEach((r, region) => {
    for (const n of r.notes) items.push({ region, renderings: [n], isObject: false });
    for (const o of r.objects) items.push({ region, renderings: o, isObject: true });
    for (const t of r.trailer) items.push({ region, renderings: [t], isObject: false });
  });
  const parts = [];
  let body = blocks.head;
  let openRegion;
  let truncated;
  const openTag = (region, continued) => {
    const r = blocks.regions[region];
    return `<details${r.open && !continued ? " open" : ""}><summary>${r.summary}${continued ? " (continued)" : ""}</summary>`;
  };
  const closeTag = "</details>";
  const fits = (text) => measure(text) + measure(SEPARATOR + closeTag) <= room;
  for (let i2 = 0; i2 < items.length; i2++) {
    const item = items[i2];
    const regionChange = openRegion !== item.region;
    const fitsAlone = fits(openTag(item.region, true) + SEPARATOR + item.renderings[0]);
    const placed = tryPlace(
      body,
      item,
      regionChange,
      openRegion,
      openTag,
      closeTag,
      fits,
      fitsAlone
    );
    if (placed !== void 0) {
      body = placed;
      openRegion = item.region;
      continue;
    }
    if (parts.length + 1 >= options.maxParts) {
      const rest = items.slice(i2);
      truncated = {
        objects: rest.filter((x) => x.isObject).length,
        regions: new Set(rest.filter((x) => x.isObject).map((x) => x.region)).size
      };
      break;
    }
    if (openRegion !== void 0) body += SEPARATOR + closeTag;
    parts.push(body);
    const continued = openRegion === item.region;
    body = openTag(item.region, continued);
    openRegion = item.region;
    const rendering = item.renderings.find((r) => fits(body + SEPARATOR + r)) ?? item.renderings.at(-1);
    body += SEPARATOR + rendering;
  }
  if (openRegion !== void 0) body += SEPARATOR + closeTag;
  if (truncated) body += truncationNote(truncated.objects, truncated.regions, fullNote);
  parts.push(body);
  const total = parts.length;
  return parts.map((p, idx) => {
    let text = prefix(idx + 1, total) + p;
    if (idx + 1 < total) text += continuationLine(idx + 2);
    else {
      if (blocks.foot) text += SEPARATOR + blocks.foot;
      if (!truncated && total > 1) text += splitNote(total, fullNote);
      else if (!truncated && fullNote) text += `${SEPARATOR}${fullNote}`;
    }
    return text.split(COUNT).join(String(total)) + "\n";
  });
}
function tryPlace(body, item, regionChange, openRegion, openTag, closeTag, fits, fitsAlone) {
  let start = body;
  if (regionChange) {
    if (openRegion !== void 0) start += SEPARATOR + closeTag;
    start += SEPARATOR + openTag(item.region, false);
  }
  const candidates = fitsAlone ? item.renderings.slice(0, 1) : item.renderings;
  for (const r of candidates) {
    const candidate = start + SEPARATOR + r;
    if (fits(candidate)) return candidate;
  }
  return void 0;
}
function continuationLine(next) {
  return `${SEPARATOR}_Continued in the next comment (part ${next} of ${COUNT})._`;
}
function splitNote(total, fullNote) {
  return `${SEPARATOR}_This report was split into ${total} comments on object boundaries.${fullNote ? ` ${fullNote}` : ""}_`;
}
function truncationNote(objects, regions, fullNote) {
  const what = objects === 0 ? "Some region notes are not shown here" : `${objects} more drifted ${plural(objects, "object")} in ${count(regions, "region")} not shown here`;
  return `${SEPARATOR}**${what}** (the report is too long).${fullNote ? ` ${fullNote}` : ""}`;
}

// src/core/report/markdown.ts
var utf8 = new TextEncoder();
function measureText(text, unit = "chars") {
  return unit === "chars" ? text.length : utf8.encode(text).length;
}
function renderMarkdownReport(report, options = {}) {
  const blocks = renderReportBlocks(report, {
    fileUrlBase: options.fileUrlBase,
    title: options.title,
    limits: options.limits ?? FULL_LIMITS,
    runDetails: options.runDetails ?? true
  });
  const unit = options.sizeUnit ?? "chars";
  const [doc] = packReport(blocks, {
    budget: options.maxSize ?? Number.MAX_SAFE_INTEGER,
    measure: (t) => measureText(t, unit),
    maxParts: 1,
    fullReportNote: options.fullReportNote
  });
  return doc;
}

// src/adapters/fs/write-report.ts
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
function writeReportFile(report, file, options = {}) {
  const abs = resolve(file);
  if (options.createFolder) mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 2)}
`, { mode: 420 });
  renameSync(tmp, abs);
  return abs;
}

// src/pipeline/run-check.ts
import { createHmac, randomBytes } from "node:crypto";

// src/core/compare/managers.ts
var GITOPS_MANAGERS = ["argocd-controller", "kustomize-controller"];
var DEFAULT_FIELD_MANAGER = "argocd-controller";
var DEFAULT_HAND_MANAGERS = [
  "kubectl",
  "kubectl-*",
  "k9s",
  "Mozilla",
  "node-fetch",
  "Lens",
  "OpenLens",
  "headlamp",
  "curl"
];
function globMatcher(patterns) {
  const res = patterns.map(
    (p) => new RegExp(
      `^${p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`
    )
  );
  return (name) => res.some((re) => re.test(name));
}
function detectManager(entries) {
  return entries.find((e) => e.operation === "Apply" && GITOPS_MANAGERS.includes(e.manager))?.manager ?? entries.find((e) => GITOPS_MANAGERS.includes(e.manager))?.manager;
}

// src/core/report/skew.ts
import { createHash } from "node:crypto";
var SKEW_VALUE_MAX_CHARS = 200;
function isPlainObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function canonicalJson(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
function sha256(text) {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
var SKEW_FINGERPRINT_CHARS = 8;
function skewFingerprint(ref, path, valueKey) {
  const text = `${refKey(ref)}\0${path}\0${valueKey}`;
  let fingerprint = fingerprints.get(text);
  if (fingerprint === void 0) {
    fingerprint = createHash("sha256").update(text).digest("base64url").slice(0, SKEW_FINGERPRINT_CHARS);
    if (fingerprints.size >= 2e5) fingerprints.clear();
    fingerprints.set(text, fingerprint);
  }
  return fingerprint;
}
var fingerprints = /* @__PURE__ */ new Map();
function encodeSkewValue(v) {
  if (v === void 0) return { value: {}, key: "unset" };
  const text = canonicalJson(v);
  if (text.length <= SKEW_VALUE_MAX_CHARS) return { value: { value: v }, key: `json:${text}` };
  const hash = sha256(text);
  return { value: { sha256: hash }, key: `sha256:${hash}` };
}
function skewValueKey(v) {
  if (v.sha256 !== void 0) return `sha256:${v.sha256}`;
  if (!("value" in v)) return "unset";
  const text = canonicalJson(v.value);
  return text.length <= SKEW_VALUE_MAX_CHARS ? `json:${text}` : `sha256:${sha256(text)}`;
}
function groupOf(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
function refKey(ref) {
  return [groupOf(ref.apiVersion), ref.kind, ref.namespace ?? "", ref.name].join("\0");
}
function groupBy(items, key) {
  const groups = /* @__PURE__ */ new Map();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}
function fingerprintSet(digest) {
  const out = /* @__PURE__ */ new Set();
  for (let i2 = 0; i2 + SKEW_FINGERPRINT_CHARS <= digest.same.length; i2 += SKEW_FINGERPRINT_CHARS)
    out.add(digest.same.slice(i2, i2 + SKEW_FINGERPRINT_CHARS));
  return out;
}
function computeSkew(regions) {
  const candidates = /* @__PURE__ */ new Map();
  const listed = regions.map(() => /* @__PURE__ */ new Set());
  regions.forEach((r, region) => {
    for (const d of r.skewDigest?.differs ?? []) {
      const at2 = `${refKey(d)}\0${d.path}`;
      listed[region].add(at2);
      const desiredKey = skewValueKey(d.desired);
      const key = `${at2}\0${desiredKey}`;
      let c = candidates.get(key);
      if (!c) {
        const ref = { apiVersion: d.apiVersion, kind: d.kind, name: d.name };
        if (d.namespace) ref.namespace = d.namespace;
        c = { ref, path: d.path, desired: d.desired, desiredKey, sightings: [] };
        candidates.set(key, c);
      }
      c.sightings.push({ region, live: d.live, liveKey: skewValueKey(d.live) });
    }
  });
  if (candidates.size === 0) return [];
  const same2 = regions.map((r) => r.skewDigest ? fingerprintSet(r.skewDigest) : /* @__PURE__ */ new Set());
  for (const c of candidates.values()) {
    const at2 = `${refKey(c.ref)}\0${c.path}`;
    const fingerprint = skewFingerprint(c.ref, c.path, c.desiredKey);
    regions.forEach((_, region) => {
      if (!listed[region].has(at2) && same2[region].has(fingerprint))
        c.sightings.push({ region, live: c.desired, liveKey: c.desiredKey });
    });
    c.sightings.sort((a, b) => a.region - b.region);
  }
  const entries = [];
  for (const c of candidates.values()) {
    if (c.sightings.length < 2) continue;
    const byLive = groupBy(c.sightings, (s) => s.liveKey);
    if (byLive.length < 2) continue;
    byLive.sort(
      (a, b) => b.length - a.length || Number(b[0].liveKey === c.desiredKey) - Number(a[0].liveKey === c.desiredKey) || a[0].region - b[0].region
    );
    entries.push({
      ...c.ref,
      path: c.path,
      desired: c.desired,
      live: byLive.map((g) => ({ ...g[0].live, regions: g.map((s) => regions[s.region].name) })),
      // Object, path, then the first region with that Git value.
      order: [refKey(c.ref), c.path, c.sightings[0].region]
    });
  }
  return entries.sort((a, b) => {
    for (let i2 = 0; i2 < 3; i2++)
      if (a.order[i2] !== b.order[i2]) return a.order[i2] < b.order[i2] ? -1 : 1;
    return 0;
  }).map(({ order: _order, ...entry }) => entry);
}

// src/adapters/desired/render-desired.ts
import { readdir, readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join as join2 } from "node:path";

// src/adapters/kustomize.ts
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
var cached;
function findKustomize(path = process.env.PATH ?? "") {
  if (cached && path === process.env.PATH) return cached;
  let tool;
  if (onPath("kustomize", path)) tool = { command: "kustomize", args: ["build"] };
  else if (onPath("kubectl", path)) tool = { command: "kubectl", args: ["kustomize"] };
  if (!tool) {
    throw new ToolMissingError(
      "kustomize (or kubectl)",
      "Install kubectl (it includes kustomize) or kustomize, and make sure it is on PATH."
    );
  }
  if (path === process.env.PATH) cached = tool;
  return tool;
}
var RENDER_TIMEOUT_MS = 12e4;
function renderKustomization(dir, timeoutMs = RENDER_TIMEOUT_MS) {
  const tool = findKustomize();
  return new Promise((resolve6, reject) => {
    execFile(
      tool.command,
      [...tool.args, dir],
      { maxBuffer: 256 * 1024 * 1024, env: process.env, timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (!err) {
          resolve6(stdout);
          return;
        }
        if (err.killed && err.signal === "SIGTERM") {
          reject(
            new RenderError(
              `${tool.command} ${tool.args.join(" ")} ${dir} did not finish within ${timeoutMs / 1e3} s`,
              (say) => `A remote resource or base (an https:// or git URL in a kustomization) may not be answering: check that this machine can reach it, or vendor it into the repository. An overlay of several thousand objects can also take this long (kustomize's time grows roughly with the square of their number): then raise ${say.option("render-timeout")}.`
            )
          );
          return;
        }
        if (err.code === "ENOENT") {
          cached = void 0;
          reject(
            new ToolMissingError(tool.command, "Install kubectl or kustomize and put it on PATH.")
          );
          return;
        }
        const detail = hideQuotedValues(kustomizeMessage(stderr || err.message)).split("\n").slice(0, 20).join("\n  ");
        reject(
          new RenderError(
            `${tool.command} ${tool.args.join(" ")} ${dir} failed:
  ${detail}`,
            "Fix the kustomization in that folder (or regenerate it with `mr-drift generate`)."
          )
        );
      }
    );
  });
}
function kustomizeMessage(stderr) {
  return stderr.trim().split("\n").map((line) => {
    const klog = /^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] "[^"]*" err="(.*)"$/.exec(line);
    if (klog) return klog[1].replace(/\\(["\\])/g, "$1");
    return line.replace(/^Error: /, "");
  }).join("\n");
}
function hideQuotedValues(message) {
  const hidden = "(hidden: may be a secret)";
  return message.replace(/literal sources \[[^\]\n]*\]/g, `literal sources [${hidden}]`).replace(
    /invalid literal source .*?, expected key=value/g,
    `invalid literal source ${hidden}, expected key=value`
  ).replace(/(invalid map key:).*$/gm, `$1 ${hidden}`).replace(/`[^`\n]*`/g, `\`${hidden}\``).replace(/\{[^{}\n]*"[^{}\n]*\}/g, `{${hidden}}`);
}
function onPath(name, path) {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
    }
  }
  return false;
}

// node_modules/js-yaml/dist/js-yaml.mjs
function isNothing(subject) {
  return typeof subject === "undefined" || subject === null;
}
function isObject(subject) {
  return typeof subject === "object" && subject !== null;
}
function toArray(sequence) {
  if (Array.isArray(sequence)) return sequence;
  else if (isNothing(sequence)) return [];
  return [sequence];
}
function extend(target, source) {
  var index2, length2, key, sourceKeys;
  if (source) {
    sourceKeys = Object.keys(source);
    for (index2 = 0, length2 = sourceKeys.length; index2 < length2; index2 += 1) {
      key = sourceKeys[index2];
      target[key] = source[key];
    }
  }
  return target;
}
function repeat(string, count2) {
  var result = "", cycle;
  for (cycle = 0; cycle < count2; cycle += 1) {
    result += string;
  }
  return result;
}
function isNegativeZero(number) {
  return number === 0 && Number.NEGATIVE_INFINITY === 1 / number;
}
var isNothing_1 = isNothing;
var isObject_1 = isObject;
var toArray_1 = toArray;
var repeat_1 = repeat;
var isNegativeZero_1 = isNegativeZero;
var extend_1 = extend;
var common = {
  isNothing: isNothing_1,
  isObject: isObject_1,
  toArray: toArray_1,
  repeat: repeat_1,
  isNegativeZero: isNegativeZero_1,
  extend: extend_1
};
function formatError(exception2, compact) {
  var where2 = "", message = exception2.reason || "(unknown reason)";
  if (!exception2.mark) return message;
  if (exception2.mark.name) {
    where2 += 'in "' + exception2.mark.name + '" ';
  }
  where2 += "(" + (exception2.mark.line + 1) + ":" + (exception2.mark.column + 1) + ")";
  if (!compact && exception2.mark.snippet) {
    where2 += "\n\n" + exception2.mark.snippet;
  }
  return message + " " + where2;
}
function YAMLException$1(reason, mark2) {
  Error.call(this);
  this.name = "YAMLException";
  this.reason = reason;
  this.mark = mark2;
  this.message = formatError(this, false);
  if (Error.captureStackTrace) {
    Error.captureStackTrace(this, this.constructor);
  } else {
    this.stack = new Error().stack || "";
  }
}
YAMLException$1.prototype = Object.create(Error.prototype);
YAMLException$1.prototype.constructor = YAMLException$1;
YAMLException$1.prototype.toString = function toString(compact) {
  return this.name + ": " + formatError(this, compact);
};
var exception = YAMLException$1;
function getLine(buffer, lineStart, lineEnd, position2, maxLineLength) {
  var head = "";
  var tail = "";
  var maxHalfLength = Math.floor(maxLineLength / 2) - 1;
  if (position2 - lineStart > maxHalfLength) {
    head = " ... ";
    lineStart = position2 - maxHalfLength + head.length;
  }
  if (lineEnd - position2 > maxHalfLength) {
    tail = " ...";
    lineEnd = position2 + maxHalfLength - tail.length;
  }
  return {
    str: head + buffer.slice(lineStart, lineEnd).replace(/\t/g, "\u2192") + tail,
    pos: position2 - lineStart + head.length
    // relative position
  };
}
function padStart(string, max) {
  return common.repeat(" ", max - string.length) + string;
}
function makeSnippet(mark2, options) {
  options = Object.create(options || null);
  if (!mark2.buffer) return null;
  if (!options.maxLength) options.maxLength = 79;
  if (typeof options.indent !== "number") options.indent = 1;
  if (typeof options.linesBefore !== "number") options.linesBefore = 3;
  if (typeof options.linesAfter !== "number") options.linesAfter = 2;
  var re = /\r?\n|\r|\0/g;
  var lineStarts = [0];
  var lineEnds = [];
  var match;
  var foundLineNo = -1;
  while (match = re.exec(mark2.buffer)) {
    lineEnds.push(match.index);
    lineStarts.push(match.index + match[0].length);
    if (mark2.position <= match.index && foundLineNo < 0) {
      foundLineNo = lineStarts.length - 2;
    }
  }
  if (foundLineNo < 0) foundLineNo = lineStarts.length - 1;
  var result = "", i2, line;
  var lineNoLength = Math.min(mark2.line + options.linesAfter, lineEnds.length).toString().length;
  var maxLineLength = options.maxLength - (options.indent + lineNoLength + 3);
  for (i2 = 1; i2 <= options.linesBefore; i2++) {
    if (foundLineNo - i2 < 0) break;
    line = getLine(
      mark2.buffer,
      lineStarts[foundLineNo - i2],
      lineEnds[foundLineNo - i2],
      mark2.position - (lineStarts[foundLineNo] - lineStarts[foundLineNo - i2]),
      maxLineLength
    );
    result = common.repeat(" ", options.indent) + padStart((mark2.line - i2 + 1).toString(), lineNoLength) + " | " + line.str + "\n" + result;
  }
  line = getLine(mark2.buffer, lineStarts[foundLineNo], lineEnds[foundLineNo], mark2.position, maxLineLength);
  result += common.repeat(" ", options.indent) + padStart((mark2.line + 1).toString(), lineNoLength) + " | " + line.str + "\n";
  result += common.repeat("-", options.indent + lineNoLength + 3 + line.pos) + "^\n";
  for (i2 = 1; i2 <= options.linesAfter; i2++) {
    if (foundLineNo + i2 >= lineEnds.length) break;
    line = getLine(
      mark2.buffer,
      lineStarts[foundLineNo + i2],
      lineEnds[foundLineNo + i2],
      mark2.position - (lineStarts[foundLineNo] - lineStarts[foundLineNo + i2]),
      maxLineLength
    );
    result += common.repeat(" ", options.indent) + padStart((mark2.line + i2 + 1).toString(), lineNoLength) + " | " + line.str + "\n";
  }
  return result.replace(/\n$/, "");
}
var snippet = makeSnippet;
var TYPE_CONSTRUCTOR_OPTIONS = [
  "kind",
  "multi",
  "resolve",
  "construct",
  "instanceOf",
  "predicate",
  "represent",
  "representName",
  "defaultStyle",
  "styleAliases"
];
var YAML_NODE_KINDS = [
  "scalar",
  "sequence",
  "mapping"
];
function compileStyleAliases(map2) {
  var result = {};
  if (map2 !== null) {
    Object.keys(map2).forEach(function(style) {
      map2[style].forEach(function(alias) {
        result[String(alias)] = style;
      });
    });
  }
  return result;
}
function Type$1(tag, options) {
  options = options || {};
  Object.keys(options).forEach(function(name) {
    if (TYPE_CONSTRUCTOR_OPTIONS.indexOf(name) === -1) {
      throw new exception('Unknown option "' + name + '" is met in definition of "' + tag + '" YAML type.');
    }
  });
  this.options = options;
  this.tag = tag;
  this.kind = options["kind"] || null;
  this.resolve = options["resolve"] || function() {
    return true;
  };
  this.construct = options["construct"] || function(data) {
    return data;
  };
  this.instanceOf = options["instanceOf"] || null;
  this.predicate = options["predicate"] || null;
  this.represent = options["represent"] || null;
  this.representName = options["representName"] || null;
  this.defaultStyle = options["defaultStyle"] || null;
  this.multi = options["multi"] || false;
  this.styleAliases = compileStyleAliases(options["styleAliases"] || null);
  if (YAML_NODE_KINDS.indexOf(this.kind) === -1) {
    throw new exception('Unknown kind "' + this.kind + '" is specified for "' + tag + '" YAML type.');
  }
}
var type = Type$1;
function compileList(schema2, name) {
  var result = [];
  schema2[name].forEach(function(currentType) {
    var newIndex = result.length;
    result.forEach(function(previousType, previousIndex) {
      if (previousType.tag === currentType.tag && previousType.kind === currentType.kind && previousType.multi === currentType.multi) {
        newIndex = previousIndex;
      }
    });
    result[newIndex] = currentType;
  });
  return result;
}
function compileMap() {
  var result = {
    scalar: {},
    sequence: {},
    mapping: {},
    fallback: {},
    multi: {
      scalar: [],
      sequence: [],
      mapping: [],
      fallback: []
    }
  }, index2, length2;
  function collectType(type2) {
    if (type2.multi) {
      result.multi[type2.kind].push(type2);
      result.multi["fallback"].push(type2);
    } else {
      result[type2.kind][type2.tag] = result["fallback"][type2.tag] = type2;
    }
  }
  for (index2 = 0, length2 = arguments.length; index2 < length2; index2 += 1) {
    arguments[index2].forEach(collectType);
  }
  return result;
}
function Schema$1(definition) {
  return this.extend(definition);
}
Schema$1.prototype.extend = function extend2(definition) {
  var implicit = [];
  var explicit = [];
  if (definition instanceof type) {
    explicit.push(definition);
  } else if (Array.isArray(definition)) {
    explicit = explicit.concat(definition);
  } else if (definition && (Array.isArray(definition.implicit) || Array.isArray(definition.explicit))) {
    if (definition.implicit) implicit = implicit.concat(definition.implicit);
    if (definition.explicit) explicit = explicit.concat(definition.explicit);
  } else {
    throw new exception("Schema.extend argument should be a Type, [ Type ], or a schema definition ({ implicit: [...], explicit: [...] })");
  }
  implicit.forEach(function(type$1) {
    if (!(type$1 instanceof type)) {
      throw new exception("Specified list of YAML types (or a single Type object) contains a non-Type object.");
    }
    if (type$1.loadKind && type$1.loadKind !== "scalar") {
      throw new exception("There is a non-scalar type in the implicit list of a schema. Implicit resolving of such types is not supported.");
    }
    if (type$1.multi) {
      throw new exception("There is a multi type in the implicit list of a schema. Multi tags can only be listed as explicit.");
    }
  });
  explicit.forEach(function(type$1) {
    if (!(type$1 instanceof type)) {
      throw new exception("Specified list of YAML types (or a single Type object) contains a non-Type object.");
    }
  });
  var result = Object.create(Schema$1.prototype);
  result.implicit = (this.implicit || []).concat(implicit);
  result.explicit = (this.explicit || []).concat(explicit);
  result.compiledImplicit = compileList(result, "implicit");
  result.compiledExplicit = compileList(result, "explicit");
  result.compiledTypeMap = compileMap(result.compiledImplicit, result.compiledExplicit);
  return result;
};
var schema = Schema$1;
var str = new type("tag:yaml.org,2002:str", {
  kind: "scalar",
  construct: function(data) {
    return data !== null ? data : "";
  }
});
var seq = new type("tag:yaml.org,2002:seq", {
  kind: "sequence",
  construct: function(data) {
    return data !== null ? data : [];
  }
});
var map = new type("tag:yaml.org,2002:map", {
  kind: "mapping",
  construct: function(data) {
    return data !== null ? data : {};
  }
});
var failsafe = new schema({
  explicit: [
    str,
    seq,
    map
  ]
});
function resolveYamlNull(data) {
  if (data === null) return true;
  var max = data.length;
  return max === 1 && data === "~" || max === 4 && (data === "null" || data === "Null" || data === "NULL");
}
function constructYamlNull() {
  return null;
}
function isNull(object) {
  return object === null;
}
var _null = new type("tag:yaml.org,2002:null", {
  kind: "scalar",
  resolve: resolveYamlNull,
  construct: constructYamlNull,
  predicate: isNull,
  represent: {
    canonical: function() {
      return "~";
    },
    lowercase: function() {
      return "null";
    },
    uppercase: function() {
      return "NULL";
    },
    camelcase: function() {
      return "Null";
    },
    empty: function() {
      return "";
    }
  },
  defaultStyle: "lowercase"
});
function resolveYamlBoolean(data) {
  if (data === null) return false;
  var max = data.length;
  return max === 4 && (data === "true" || data === "True" || data === "TRUE") || max === 5 && (data === "false" || data === "False" || data === "FALSE");
}
function constructYamlBoolean(data) {
  return data === "true" || data === "True" || data === "TRUE";
}
function isBoolean(object) {
  return Object.prototype.toString.call(object) === "[object Boolean]";
}
var bool = new type("tag:yaml.org,2002:bool", {
  kind: "scalar",
  resolve: resolveYamlBoolean,
  construct: constructYamlBoolean,
  predicate: isBoolean,
  represent: {
    lowercase: function(object) {
      return object ? "true" : "false";
    },
    uppercase: function(object) {
      return object ? "TRUE" : "FALSE";
    },
    camelcase: function(object) {
      return object ? "True" : "False";
    }
  },
  defaultStyle: "lowercase"
});
function isHexCode(c) {
  return 48 <= c && c <= 57 || 65 <= c && c <= 70 || 97 <= c && c <= 102;
}
function isOctCode(c) {
  return 48 <= c && c <= 55;
}
function isDecCode(c) {
  return 48 <= c && c <= 57;
}
function resolveYamlInteger(data) {
  if (data === null) return false;
  var max = data.length, index2 = 0, hasDigits = false, ch;
  if (!max) return false;
  ch = data[index2];
  if (ch === "-" || ch === "+") {
    ch = data[++index2];
  }
  if (ch === "0") {
    if (index2 + 1 === max) return true;
    ch = data[++index2];
    if (ch === "b") {
      index2++;
      for (; index2 < max; index2++) {
        ch = data[index2];
        if (ch === "_") continue;
        if (ch !== "0" && ch !== "1") return false;
        hasDigits = true;
      }
      return hasDigits && ch !== "_";
    }
    if (ch === "x") {
      index2++;
      for (; index2 < max; index2++) {
        ch = data[index2];
        if (ch === "_") continue;
        if (!isHexCode(data.charCodeAt(index2))) return false;
        hasDigits = true;
      }
      return hasDigits && ch !== "_";
    }
    if (ch === "o") {
      index2++;
      for (; index2 < max; index2++) {
        ch = data[index2];
        if (ch === "_") continue;
        if (!isOctCode(data.charCodeAt(index2))) return false;
        hasDigits = true;
      }
      return hasDigits && ch !== "_";
    }
  }
  if (ch === "_") return false;
  for (; index2 < max; index2++) {
    ch = data[index2];
    if (ch === "_") continue;
    if (!isDecCode(data.charCodeAt(index2))) {
      return false;
    }
    hasDigits = true;
  }
  if (!hasDigits || ch === "_") return false;
  return true;
}
function constructYamlInteger(data) {
  var value = data, sign = 1, ch;
  if (value.indexOf("_") !== -1) {
    value = value.replace(/_/g, "");
  }
  ch = value[0];
  if (ch === "-" || ch === "+") {
    if (ch === "-") sign = -1;
    value = value.slice(1);
    ch = value[0];
  }
  if (value === "0") return 0;
  if (ch === "0") {
    if (value[1] === "b") return sign * parseInt(value.slice(2), 2);
    if (value[1] === "x") return sign * parseInt(value.slice(2), 16);
    if (value[1] === "o") return sign * parseInt(value.slice(2), 8);
  }
  return sign * parseInt(value, 10);
}
function isInteger(object) {
  return Object.prototype.toString.call(object) === "[object Number]" && (object % 1 === 0 && !common.isNegativeZero(object));
}
var int = new type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: resolveYamlInteger,
  construct: constructYamlInteger,
  predicate: isInteger,
  represent: {
    binary: function(obj) {
      return obj >= 0 ? "0b" + obj.toString(2) : "-0b" + obj.toString(2).slice(1);
    },
    octal: function(obj) {
      return obj >= 0 ? "0o" + obj.toString(8) : "-0o" + obj.toString(8).slice(1);
    },
    decimal: function(obj) {
      return obj.toString(10);
    },
    /* eslint-disable max-len */
    hexadecimal: function(obj) {
      return obj >= 0 ? "0x" + obj.toString(16).toUpperCase() : "-0x" + obj.toString(16).toUpperCase().slice(1);
    }
  },
  defaultStyle: "decimal",
  styleAliases: {
    binary: [2, "bin"],
    octal: [8, "oct"],
    decimal: [10, "dec"],
    hexadecimal: [16, "hex"]
  }
});
var YAML_FLOAT_PATTERN = new RegExp(
  // 2.5e4, 2.5 and integers
  "^(?:[-+]?(?:[0-9][0-9_]*)(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
);
function resolveYamlFloat(data) {
  if (data === null) return false;
  if (!YAML_FLOAT_PATTERN.test(data) || // Quick hack to not allow integers end with `_`
  // Probably should update regexp & check speed
  data[data.length - 1] === "_") {
    return false;
  }
  return true;
}
function constructYamlFloat(data) {
  var value, sign;
  value = data.replace(/_/g, "").toLowerCase();
  sign = value[0] === "-" ? -1 : 1;
  if ("+-".indexOf(value[0]) >= 0) {
    value = value.slice(1);
  }
  if (value === ".inf") {
    return sign === 1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  } else if (value === ".nan") {
    return NaN;
  }
  return sign * parseFloat(value, 10);
}
var SCIENTIFIC_WITHOUT_DOT = /^[-+]?[0-9]+e/;
function representYamlFloat(object, style) {
  var res;
  if (isNaN(object)) {
    switch (style) {
      case "lowercase":
        return ".nan";
      case "uppercase":
        return ".NAN";
      case "camelcase":
        return ".NaN";
    }
  } else if (Number.POSITIVE_INFINITY === object) {
    switch (style) {
      case "lowercase":
        return ".inf";
      case "uppercase":
        return ".INF";
      case "camelcase":
        return ".Inf";
    }
  } else if (Number.NEGATIVE_INFINITY === object) {
    switch (style) {
      case "lowercase":
        return "-.inf";
      case "uppercase":
        return "-.INF";
      case "camelcase":
        return "-.Inf";
    }
  } else if (common.isNegativeZero(object)) {
    return "-0.0";
  }
  res = object.toString(10);
  return SCIENTIFIC_WITHOUT_DOT.test(res) ? res.replace("e", ".e") : res;
}
function isFloat(object) {
  return Object.prototype.toString.call(object) === "[object Number]" && (object % 1 !== 0 || common.isNegativeZero(object));
}
var float = new type("tag:yaml.org,2002:float", {
  kind: "scalar",
  resolve: resolveYamlFloat,
  construct: constructYamlFloat,
  predicate: isFloat,
  represent: representYamlFloat,
  defaultStyle: "lowercase"
});
var json = failsafe.extend({
  implicit: [
    _null,
    bool,
    int,
    float
  ]
});
var core = json;
var YAML_DATE_REGEXP = new RegExp(
  "^([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])$"
);
var YAML_TIMESTAMP_REGEXP = new RegExp(
  "^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \\t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\\.([0-9]*))?(?:[ \\t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?$"
);
function resolveYamlTimestamp(data) {
  if (data === null) return false;
  if (YAML_DATE_REGEXP.exec(data) !== null) return true;
  if (YAML_TIMESTAMP_REGEXP.exec(data) !== null) return true;
  return false;
}
function constructYamlTimestamp(data) {
  var match, year, month, day, hour, minute, second, fraction = 0, delta = null, tz_hour, tz_minute, date;
  match = YAML_DATE_REGEXP.exec(data);
  if (match === null) match = YAML_TIMESTAMP_REGEXP.exec(data);
  if (match === null) throw new Error("Date resolve error");
  year = +match[1];
  month = +match[2] - 1;
  day = +match[3];
  if (!match[4]) {
    return new Date(Date.UTC(year, month, day));
  }
  hour = +match[4];
  minute = +match[5];
  second = +match[6];
  if (match[7]) {
    fraction = match[7].slice(0, 3);
    while (fraction.length < 3) {
      fraction += "0";
    }
    fraction = +fraction;
  }
  if (match[9]) {
    tz_hour = +match[10];
    tz_minute = +(match[11] || 0);
    delta = (tz_hour * 60 + tz_minute) * 6e4;
    if (match[9] === "-") delta = -delta;
  }
  date = new Date(Date.UTC(year, month, day, hour, minute, second, fraction));
  if (delta) date.setTime(date.getTime() - delta);
  return date;
}
function representYamlTimestamp(object) {
  return object.toISOString();
}
var timestamp = new type("tag:yaml.org,2002:timestamp", {
  kind: "scalar",
  resolve: resolveYamlTimestamp,
  construct: constructYamlTimestamp,
  instanceOf: Date,
  represent: representYamlTimestamp
});
function resolveYamlMerge(data) {
  return data === "<<" || data === null;
}
var merge = new type("tag:yaml.org,2002:merge", {
  kind: "scalar",
  resolve: resolveYamlMerge
});
var BASE64_MAP = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n\r";
function resolveYamlBinary(data) {
  if (data === null) return false;
  var code, idx, bitlen = 0, max = data.length, map2 = BASE64_MAP;
  for (idx = 0; idx < max; idx++) {
    code = map2.indexOf(data.charAt(idx));
    if (code > 64) continue;
    if (code < 0) return false;
    bitlen += 6;
  }
  return bitlen % 8 === 0;
}
function constructYamlBinary(data) {
  var idx, tailbits, input = data.replace(/[\r\n=]/g, ""), max = input.length, map2 = BASE64_MAP, bits = 0, result = [];
  for (idx = 0; idx < max; idx++) {
    if (idx % 4 === 0 && idx) {
      result.push(bits >> 16 & 255);
      result.push(bits >> 8 & 255);
      result.push(bits & 255);
    }
    bits = bits << 6 | map2.indexOf(input.charAt(idx));
  }
  tailbits = max % 4 * 6;
  if (tailbits === 0) {
    result.push(bits >> 16 & 255);
    result.push(bits >> 8 & 255);
    result.push(bits & 255);
  } else if (tailbits === 18) {
    result.push(bits >> 10 & 255);
    result.push(bits >> 2 & 255);
  } else if (tailbits === 12) {
    result.push(bits >> 4 & 255);
  }
  return new Uint8Array(result);
}
function representYamlBinary(object) {
  var result = "", bits = 0, idx, tail, max = object.length, map2 = BASE64_MAP;
  for (idx = 0; idx < max; idx++) {
    if (idx % 3 === 0 && idx) {
      result += map2[bits >> 18 & 63];
      result += map2[bits >> 12 & 63];
      result += map2[bits >> 6 & 63];
      result += map2[bits & 63];
    }
    bits = (bits << 8) + object[idx];
  }
  tail = max % 3;
  if (tail === 0) {
    result += map2[bits >> 18 & 63];
    result += map2[bits >> 12 & 63];
    result += map2[bits >> 6 & 63];
    result += map2[bits & 63];
  } else if (tail === 2) {
    result += map2[bits >> 10 & 63];
    result += map2[bits >> 4 & 63];
    result += map2[bits << 2 & 63];
    result += map2[64];
  } else if (tail === 1) {
    result += map2[bits >> 2 & 63];
    result += map2[bits << 4 & 63];
    result += map2[64];
    result += map2[64];
  }
  return result;
}
function isBinary(obj) {
  return Object.prototype.toString.call(obj) === "[object Uint8Array]";
}
var binary = new type("tag:yaml.org,2002:binary", {
  kind: "scalar",
  resolve: resolveYamlBinary,
  construct: constructYamlBinary,
  predicate: isBinary,
  represent: representYamlBinary
});
var _hasOwnProperty$3 = Object.prototype.hasOwnProperty;
var _toString$2 = Object.prototype.toString;
function resolveYamlOmap(data) {
  if (data === null) return true;
  var objectKeys = [], index2, length2, pair, pairKey, pairHasKey, object = data;
  for (index2 = 0, length2 = object.length; index2 < length2; index2 += 1) {
    pair = object[index2];
    pairHasKey = false;
    if (_toString$2.call(pair) !== "[object Object]") return false;
    for (pairKey in pair) {
      if (_hasOwnProperty$3.call(pair, pairKey)) {
        if (!pairHasKey) pairHasKey = true;
        else return false;
      }
    }
    if (!pairHasKey) return false;
    if (objectKeys.indexOf(pairKey) === -1) objectKeys.push(pairKey);
    else return false;
  }
  return true;
}
function constructYamlOmap(data) {
  return data !== null ? data : [];
}
var omap = new type("tag:yaml.org,2002:omap", {
  kind: "sequence",
  resolve: resolveYamlOmap,
  construct: constructYamlOmap
});
var _toString$1 = Object.prototype.toString;
function resolveYamlPairs(data) {
  if (data === null) return true;
  var index2, length2, pair, keys, result, object = data;
  result = new Array(object.length);
  for (index2 = 0, length2 = object.length; index2 < length2; index2 += 1) {
    pair = object[index2];
    if (_toString$1.call(pair) !== "[object Object]") return false;
    keys = Object.keys(pair);
    if (keys.length !== 1) return false;
    result[index2] = [keys[0], pair[keys[0]]];
  }
  return true;
}
function constructYamlPairs(data) {
  if (data === null) return [];
  var index2, length2, pair, keys, result, object = data;
  result = new Array(object.length);
  for (index2 = 0, length2 = object.length; index2 < length2; index2 += 1) {
    pair = object[index2];
    keys = Object.keys(pair);
    result[index2] = [keys[0], pair[keys[0]]];
  }
  return result;
}
var pairs = new type("tag:yaml.org,2002:pairs", {
  kind: "sequence",
  resolve: resolveYamlPairs,
  construct: constructYamlPairs
});
var _hasOwnProperty$2 = Object.prototype.hasOwnProperty;
function resolveYamlSet(data) {
  if (data === null) return true;
  var key, object = data;
  for (key in object) {
    if (_hasOwnProperty$2.call(object, key)) {
      if (object[key] !== null) return false;
    }
  }
  return true;
}
function constructYamlSet(data) {
  return data !== null ? data : {};
}
var set = new type("tag:yaml.org,2002:set", {
  kind: "mapping",
  resolve: resolveYamlSet,
  construct: constructYamlSet
});
var _default = core.extend({
  implicit: [
    timestamp,
    merge
  ],
  explicit: [
    binary,
    omap,
    pairs,
    set
  ]
});
var _hasOwnProperty$1 = Object.prototype.hasOwnProperty;
var CONTEXT_FLOW_IN = 1;
var CONTEXT_FLOW_OUT = 2;
var CONTEXT_BLOCK_IN = 3;
var CONTEXT_BLOCK_OUT = 4;
var CHOMPING_CLIP = 1;
var CHOMPING_STRIP = 2;
var CHOMPING_KEEP = 3;
var PATTERN_NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
var PATTERN_NON_ASCII_LINE_BREAKS = /[\x85\u2028\u2029]/;
var PATTERN_FLOW_INDICATORS = /[,\[\]\{\}]/;
var PATTERN_TAG_HANDLE = /^(?:!|!!|![a-z\-]+!)$/i;
var PATTERN_TAG_URI = /^(?:!|[^,\[\]\{\}])(?:%[0-9a-f]{2}|[0-9a-z\-#;\/\?:@&=\+\$,_\.!~\*'\(\)\[\]])*$/i;
function _class(obj) {
  return Object.prototype.toString.call(obj);
}
function is_EOL(c) {
  return c === 10 || c === 13;
}
function is_WHITE_SPACE(c) {
  return c === 9 || c === 32;
}
function is_WS_OR_EOL(c) {
  return c === 9 || c === 32 || c === 10 || c === 13;
}
function is_FLOW_INDICATOR(c) {
  return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
}
function fromHexCode(c) {
  var lc;
  if (48 <= c && c <= 57) {
    return c - 48;
  }
  lc = c | 32;
  if (97 <= lc && lc <= 102) {
    return lc - 97 + 10;
  }
  return -1;
}
function escapedHexLen(c) {
  if (c === 120) {
    return 2;
  }
  if (c === 117) {
    return 4;
  }
  if (c === 85) {
    return 8;
  }
  return 0;
}
function fromDecimalCode(c) {
  if (48 <= c && c <= 57) {
    return c - 48;
  }
  return -1;
}
function simpleEscapeSequence(c) {
  return c === 48 ? "\0" : c === 97 ? "\x07" : c === 98 ? "\b" : c === 116 ? "	" : c === 9 ? "	" : c === 110 ? "\n" : c === 118 ? "\v" : c === 102 ? "\f" : c === 114 ? "\r" : c === 101 ? "\x1B" : c === 32 ? " " : c === 34 ? '"' : c === 47 ? "/" : c === 92 ? "\\" : c === 78 ? "\x85" : c === 95 ? "\xA0" : c === 76 ? "\u2028" : c === 80 ? "\u2029" : "";
}
function charFromCodepoint(c) {
  if (c <= 65535) {
    return String.fromCharCode(c);
  }
  return String.fromCharCode(
    (c - 65536 >> 10) + 55296,
    (c - 65536 & 1023) + 56320
  );
}
var simpleEscapeCheck = new Array(256);
var simpleEscapeMap = new Array(256);
for (i = 0; i < 256; i++) {
  simpleEscapeCheck[i] = simpleEscapeSequence(i) ? 1 : 0;
  simpleEscapeMap[i] = simpleEscapeSequence(i);
}
var i;
function State$1(input, options) {
  this.input = input;
  this.filename = options["filename"] || null;
  this.schema = options["schema"] || _default;
  this.onWarning = options["onWarning"] || null;
  this.legacy = options["legacy"] || false;
  this.json = options["json"] || false;
  this.listener = options["listener"] || null;
  this.implicitTypes = this.schema.compiledImplicit;
  this.typeMap = this.schema.compiledTypeMap;
  this.length = input.length;
  this.position = 0;
  this.line = 0;
  this.lineStart = 0;
  this.lineIndent = 0;
  this.firstTabInLine = -1;
  this.documents = [];
}
function generateError(state, message) {
  var mark2 = {
    name: state.filename,
    buffer: state.input.slice(0, -1),
    // omit trailing \0
    position: state.position,
    line: state.line,
    column: state.position - state.lineStart
  };
  mark2.snippet = snippet(mark2);
  return new exception(message, mark2);
}
function throwError(state, message) {
  throw generateError(state, message);
}
function throwWarning(state, message) {
  if (state.onWarning) {
    state.onWarning.call(null, generateError(state, message));
  }
}
var directiveHandlers = {
  YAML: function handleYamlDirective(state, name, args) {
    var match, major, minor;
    if (state.version !== null) {
      throwError(state, "duplication of %YAML directive");
    }
    if (args.length !== 1) {
      throwError(state, "YAML directive accepts exactly one argument");
    }
    match = /^([0-9]+)\.([0-9]+)$/.exec(args[0]);
    if (match === null) {
      throwError(state, "ill-formed argument of the YAML directive");
    }
    major = parseInt(match[1], 10);
    minor = parseInt(match[2], 10);
    if (major !== 1) {
      throwError(state, "unacceptable YAML version of the document");
    }
    state.version = args[0];
    state.checkLineBreaks = minor < 2;
    if (minor !== 1 && minor !== 2) {
      throwWarning(state, "unsupported YAML version of the document");
    }
  },
  TAG: function handleTagDirective(state, name, args) {
    var handle, prefix;
    if (args.length !== 2) {
      throwError(state, "TAG directive accepts exactly two arguments");
    }
    handle = args[0];
    prefix = args[1];
    if (!PATTERN_TAG_HANDLE.test(handle)) {
      throwError(state, "ill-formed tag handle (first argument) of the TAG directive");
    }
    if (_hasOwnProperty$1.call(state.tagMap, handle)) {
      throwError(state, 'there is a previously declared suffix for "' + handle + '" tag handle');
    }
    if (!PATTERN_TAG_URI.test(prefix)) {
      throwError(state, "ill-formed tag prefix (second argument) of the TAG directive");
    }
    try {
      prefix = decodeURIComponent(prefix);
    } catch (err) {
      throwError(state, "tag prefix is malformed: " + prefix);
    }
    state.tagMap[handle] = prefix;
  }
};
function captureSegment(state, start, end, checkJson) {
  var _position, _length, _character, _result;
  if (start < end) {
    _result = state.input.slice(start, end);
    if (checkJson) {
      for (_position = 0, _length = _result.length; _position < _length; _position += 1) {
        _character = _result.charCodeAt(_position);
        if (!(_character === 9 || 32 <= _character && _character <= 1114111)) {
          throwError(state, "expected valid JSON character");
        }
      }
    } else if (PATTERN_NON_PRINTABLE.test(_result)) {
      throwError(state, "the stream contains non-printable characters");
    }
    state.result += _result;
  }
}
function mergeMappings(state, destination, source, overridableKeys) {
  var sourceKeys, key, index2, quantity;
  if (!common.isObject(source)) {
    throwError(state, "cannot merge mappings; the provided source object is unacceptable");
  }
  sourceKeys = Object.keys(source);
  for (index2 = 0, quantity = sourceKeys.length; index2 < quantity; index2 += 1) {
    key = sourceKeys[index2];
    if (!_hasOwnProperty$1.call(destination, key)) {
      destination[key] = source[key];
      overridableKeys[key] = true;
    }
  }
}
function storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, startLine, startLineStart, startPos) {
  var index2, quantity;
  if (Array.isArray(keyNode)) {
    keyNode = Array.prototype.slice.call(keyNode);
    for (index2 = 0, quantity = keyNode.length; index2 < quantity; index2 += 1) {
      if (Array.isArray(keyNode[index2])) {
        throwError(state, "nested arrays are not supported inside keys");
      }
      if (typeof keyNode === "object" && _class(keyNode[index2]) === "[object Object]") {
        keyNode[index2] = "[object Object]";
      }
    }
  }
  if (typeof keyNode === "object" && _class(keyNode) === "[object Object]") {
    keyNode = "[object Object]";
  }
  keyNode = String(keyNode);
  if (_result === null) {
    _result = {};
  }
  if (keyTag === "tag:yaml.org,2002:merge") {
    if (Array.isArray(valueNode)) {
      for (index2 = 0, quantity = valueNode.length; index2 < quantity; index2 += 1) {
        mergeMappings(state, _result, valueNode[index2], overridableKeys);
      }
    } else {
      mergeMappings(state, _result, valueNode, overridableKeys);
    }
  } else {
    if (!state.json && !_hasOwnProperty$1.call(overridableKeys, keyNode) && _hasOwnProperty$1.call(_result, keyNode)) {
      state.line = startLine || state.line;
      state.lineStart = startLineStart || state.lineStart;
      state.position = startPos || state.position;
      throwError(state, "duplicated mapping key");
    }
    if (keyNode === "__proto__") {
      Object.defineProperty(_result, keyNode, {
        configurable: true,
        enumerable: true,
        writable: true,
        value: valueNode
      });
    } else {
      _result[keyNode] = valueNode;
    }
    delete overridableKeys[keyNode];
  }
  return _result;
}
function readLineBreak(state) {
  var ch;
  ch = state.input.charCodeAt(state.position);
  if (ch === 10) {
    state.position++;
  } else if (ch === 13) {
    state.position++;
    if (state.input.charCodeAt(state.position) === 10) {
      state.position++;
    }
  } else {
    throwError(state, "a line break is expected");
  }
  state.line += 1;
  state.lineStart = state.position;
  state.firstTabInLine = -1;
}
function skipSeparationSpace(state, allowComments, checkIndent) {
  var lineBreaks = 0, ch = state.input.charCodeAt(state.position);
  while (ch !== 0) {
    while (is_WHITE_SPACE(ch)) {
      if (ch === 9 && state.firstTabInLine === -1) {
        state.firstTabInLine = state.position;
      }
      ch = state.input.charCodeAt(++state.position);
    }
    if (allowComments && ch === 35) {
      do {
        ch = state.input.charCodeAt(++state.position);
      } while (ch !== 10 && ch !== 13 && ch !== 0);
    }
    if (is_EOL(ch)) {
      readLineBreak(state);
      ch = state.input.charCodeAt(state.position);
      lineBreaks++;
      state.lineIndent = 0;
      while (ch === 32) {
        state.lineIndent++;
        ch = state.input.charCodeAt(++state.position);
      }
    } else {
      break;
    }
  }
  if (checkIndent !== -1 && lineBreaks !== 0 && state.lineIndent < checkIndent) {
    throwWarning(state, "deficient indentation");
  }
  return lineBreaks;
}
function testDocumentSeparator(state) {
  var _position = state.position, ch;
  ch = state.input.charCodeAt(_position);
  if ((ch === 45 || ch === 46) && ch === state.input.charCodeAt(_position + 1) && ch === state.input.charCodeAt(_position + 2)) {
    _position += 3;
    ch = state.input.charCodeAt(_position);
    if (ch === 0 || is_WS_OR_EOL(ch)) {
      return true;
    }
  }
  return false;
}
function writeFoldedLines(state, count2) {
  if (count2 === 1) {
    state.result += " ";
  } else if (count2 > 1) {
    state.result += common.repeat("\n", count2 - 1);
  }
}
function readPlainScalar(state, nodeIndent, withinFlowCollection) {
  var preceding, following, captureStart, captureEnd, hasPendingContent, _line, _lineStart, _lineIndent, _kind = state.kind, _result = state.result, ch;
  ch = state.input.charCodeAt(state.position);
  if (is_WS_OR_EOL(ch) || is_FLOW_INDICATOR(ch) || ch === 35 || ch === 38 || ch === 42 || ch === 33 || ch === 124 || ch === 62 || ch === 39 || ch === 34 || ch === 37 || ch === 64 || ch === 96) {
    return false;
  }
  if (ch === 63 || ch === 45) {
    following = state.input.charCodeAt(state.position + 1);
    if (is_WS_OR_EOL(following) || withinFlowCollection && is_FLOW_INDICATOR(following)) {
      return false;
    }
  }
  state.kind = "scalar";
  state.result = "";
  captureStart = captureEnd = state.position;
  hasPendingContent = false;
  while (ch !== 0) {
    if (ch === 58) {
      following = state.input.charCodeAt(state.position + 1);
      if (is_WS_OR_EOL(following) || withinFlowCollection && is_FLOW_INDICATOR(following)) {
        break;
      }
    } else if (ch === 35) {
      preceding = state.input.charCodeAt(state.position - 1);
      if (is_WS_OR_EOL(preceding)) {
        break;
      }
    } else if (state.position === state.lineStart && testDocumentSeparator(state) || withinFlowCollection && is_FLOW_INDICATOR(ch)) {
      break;
    } else if (is_EOL(ch)) {
      _line = state.line;
      _lineStart = state.lineStart;
      _lineIndent = state.lineIndent;
      skipSeparationSpace(state, false, -1);
      if (state.lineIndent >= nodeIndent) {
        hasPendingContent = true;
        ch = state.input.charCodeAt(state.position);
        continue;
      } else {
        state.position = captureEnd;
        state.line = _line;
        state.lineStart = _lineStart;
        state.lineIndent = _lineIndent;
        break;
      }
    }
    if (hasPendingContent) {
      captureSegment(state, captureStart, captureEnd, false);
      writeFoldedLines(state, state.line - _line);
      captureStart = captureEnd = state.position;
      hasPendingContent = false;
    }
    if (!is_WHITE_SPACE(ch)) {
      captureEnd = state.position + 1;
    }
    ch = state.input.charCodeAt(++state.position);
  }
  captureSegment(state, captureStart, captureEnd, false);
  if (state.result) {
    return true;
  }
  state.kind = _kind;
  state.result = _result;
  return false;
}
function readSingleQuotedScalar(state, nodeIndent) {
  var ch, captureStart, captureEnd;
  ch = state.input.charCodeAt(state.position);
  if (ch !== 39) {
    return false;
  }
  state.kind = "scalar";
  state.result = "";
  state.position++;
  captureStart = captureEnd = state.position;
  while ((ch = state.input.charCodeAt(state.position)) !== 0) {
    if (ch === 39) {
      captureSegment(state, captureStart, state.position, true);
      ch = state.input.charCodeAt(++state.position);
      if (ch === 39) {
        captureStart = state.position;
        state.position++;
        captureEnd = state.position;
      } else {
        return true;
      }
    } else if (is_EOL(ch)) {
      captureSegment(state, captureStart, captureEnd, true);
      writeFoldedLines(state, skipSeparationSpace(state, false, nodeIndent));
      captureStart = captureEnd = state.position;
    } else if (state.position === state.lineStart && testDocumentSeparator(state)) {
      throwError(state, "unexpected end of the document within a single quoted scalar");
    } else {
      state.position++;
      captureEnd = state.position;
    }
  }
  throwError(state, "unexpected end of the stream within a single quoted scalar");
}
function readDoubleQuotedScalar(state, nodeIndent) {
  var captureStart, captureEnd, hexLength, hexResult, tmp, ch;
  ch = state.input.charCodeAt(state.position);
  if (ch !== 34) {
    return false;
  }
  state.kind = "scalar";
  state.result = "";
  state.position++;
  captureStart = captureEnd = state.position;
  while ((ch = state.input.charCodeAt(state.position)) !== 0) {
    if (ch === 34) {
      captureSegment(state, captureStart, state.position, true);
      state.position++;
      return true;
    } else if (ch === 92) {
      captureSegment(state, captureStart, state.position, true);
      ch = state.input.charCodeAt(++state.position);
      if (is_EOL(ch)) {
        skipSeparationSpace(state, false, nodeIndent);
      } else if (ch < 256 && simpleEscapeCheck[ch]) {
        state.result += simpleEscapeMap[ch];
        state.position++;
      } else if ((tmp = escapedHexLen(ch)) > 0) {
        hexLength = tmp;
        hexResult = 0;
        for (; hexLength > 0; hexLength--) {
          ch = state.input.charCodeAt(++state.position);
          if ((tmp = fromHexCode(ch)) >= 0) {
            hexResult = (hexResult << 4) + tmp;
          } else {
            throwError(state, "expected hexadecimal character");
          }
        }
        state.result += charFromCodepoint(hexResult);
        state.position++;
      } else {
        throwError(state, "unknown escape sequence");
      }
      captureStart = captureEnd = state.position;
    } else if (is_EOL(ch)) {
      captureSegment(state, captureStart, captureEnd, true);
      writeFoldedLines(state, skipSeparationSpace(state, false, nodeIndent));
      captureStart = captureEnd = state.position;
    } else if (state.position === state.lineStart && testDocumentSeparator(state)) {
      throwError(state, "unexpected end of the document within a double quoted scalar");
    } else {
      state.position++;
      captureEnd = state.position;
    }
  }
  throwError(state, "unexpected end of the stream within a double quoted scalar");
}
function readFlowCollection(state, nodeIndent) {
  var readNext = true, _line, _lineStart, _pos, _tag = state.tag, _result, _anchor = state.anchor, following, terminator, isPair, isExplicitPair, isMapping, overridableKeys = /* @__PURE__ */ Object.create(null), keyNode, keyTag, valueNode, ch;
  ch = state.input.charCodeAt(state.position);
  if (ch === 91) {
    terminator = 93;
    isMapping = false;
    _result = [];
  } else if (ch === 123) {
    terminator = 125;
    isMapping = true;
    _result = {};
  } else {
    return false;
  }
  if (state.anchor !== null) {
    state.anchorMap[state.anchor] = _result;
  }
  ch = state.input.charCodeAt(++state.position);
  while (ch !== 0) {
    skipSeparationSpace(state, true, nodeIndent);
    ch = state.input.charCodeAt(state.position);
    if (ch === terminator) {
      state.position++;
      state.tag = _tag;
      state.anchor = _anchor;
      state.kind = isMapping ? "mapping" : "sequence";
      state.result = _result;
      return true;
    } else if (!readNext) {
      throwError(state, "missed comma between flow collection entries");
    } else if (ch === 44) {
      throwError(state, "expected the node content, but found ','");
    }
    keyTag = keyNode = valueNode = null;
    isPair = isExplicitPair = false;
    if (ch === 63) {
      following = state.input.charCodeAt(state.position + 1);
      if (is_WS_OR_EOL(following)) {
        isPair = isExplicitPair = true;
        state.position++;
        skipSeparationSpace(state, true, nodeIndent);
      }
    }
    _line = state.line;
    _lineStart = state.lineStart;
    _pos = state.position;
    composeNode(state, nodeIndent, CONTEXT_FLOW_IN, false, true);
    keyTag = state.tag;
    keyNode = state.result;
    skipSeparationSpace(state, true, nodeIndent);
    ch = state.input.charCodeAt(state.position);
    if ((isExplicitPair || state.line === _line) && ch === 58) {
      isPair = true;
      ch = state.input.charCodeAt(++state.position);
      skipSeparationSpace(state, true, nodeIndent);
      composeNode(state, nodeIndent, CONTEXT_FLOW_IN, false, true);
      valueNode = state.result;
    }
    if (isMapping) {
      storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, _line, _lineStart, _pos);
    } else if (isPair) {
      _result.push(storeMappingPair(state, null, overridableKeys, keyTag, keyNode, valueNode, _line, _lineStart, _pos));
    } else {
      _result.push(keyNode);
    }
    skipSeparationSpace(state, true, nodeIndent);
    ch = state.input.charCodeAt(state.position);
    if (ch === 44) {
      readNext = true;
      ch = state.input.charCodeAt(++state.position);
    } else {
      readNext = false;
    }
  }
  throwError(state, "unexpected end of the stream within a flow collection");
}
function readBlockScalar(state, nodeIndent) {
  var captureStart, folding, chomping = CHOMPING_CLIP, didReadContent = false, detectedIndent = false, textIndent = nodeIndent, emptyLines = 0, atMoreIndented = false, tmp, ch;
  ch = state.input.charCodeAt(state.position);
  if (ch === 124) {
    folding = false;
  } else if (ch === 62) {
    folding = true;
  } else {
    return false;
  }
  state.kind = "scalar";
  state.result = "";
  while (ch !== 0) {
    ch = state.input.charCodeAt(++state.position);
    if (ch === 43 || ch === 45) {
      if (CHOMPING_CLIP === chomping) {
        chomping = ch === 43 ? CHOMPING_KEEP : CHOMPING_STRIP;
      } else {
        throwError(state, "repeat of a chomping mode identifier");
      }
    } else if ((tmp = fromDecimalCode(ch)) >= 0) {
      if (tmp === 0) {
        throwError(state, "bad explicit indentation width of a block scalar; it cannot be less than one");
      } else if (!detectedIndent) {
        textIndent = nodeIndent + tmp - 1;
        detectedIndent = true;
      } else {
        throwError(state, "repeat of an indentation width identifier");
      }
    } else {
      break;
    }
  }
  if (is_WHITE_SPACE(ch)) {
    do {
      ch = state.input.charCodeAt(++state.position);
    } while (is_WHITE_SPACE(ch));
    if (ch === 35) {
      do {
        ch = state.input.charCodeAt(++state.position);
      } while (!is_EOL(ch) && ch !== 0);
    }
  }
  while (ch !== 0) {
    readLineBreak(state);
    state.lineIndent = 0;
    ch = state.input.charCodeAt(state.position);
    while ((!detectedIndent || state.lineIndent < textIndent) && ch === 32) {
      state.lineIndent++;
      ch = state.input.charCodeAt(++state.position);
    }
    if (!detectedIndent && state.lineIndent > textIndent) {
      textIndent = state.lineIndent;
    }
    if (is_EOL(ch)) {
      emptyLines++;
      continue;
    }
    if (state.lineIndent < textIndent) {
      if (chomping === CHOMPING_KEEP) {
        state.result += common.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
      } else if (chomping === CHOMPING_CLIP) {
        if (didReadContent) {
          state.result += "\n";
        }
      }
      break;
    }
    if (folding) {
      if (is_WHITE_SPACE(ch)) {
        atMoreIndented = true;
        state.result += common.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
      } else if (atMoreIndented) {
        atMoreIndented = false;
        state.result += common.repeat("\n", emptyLines + 1);
      } else if (emptyLines === 0) {
        if (didReadContent) {
          state.result += " ";
        }
      } else {
        state.result += common.repeat("\n", emptyLines);
      }
    } else {
      state.result += common.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
    }
    didReadContent = true;
    detectedIndent = true;
    emptyLines = 0;
    captureStart = state.position;
    while (!is_EOL(ch) && ch !== 0) {
      ch = state.input.charCodeAt(++state.position);
    }
    captureSegment(state, captureStart, state.position, false);
  }
  return true;
}
function readBlockSequence(state, nodeIndent) {
  var _line, _tag = state.tag, _anchor = state.anchor, _result = [], following, detected = false, ch;
  if (state.firstTabInLine !== -1) return false;
  if (state.anchor !== null) {
    state.anchorMap[state.anchor] = _result;
  }
  ch = state.input.charCodeAt(state.position);
  while (ch !== 0) {
    if (state.firstTabInLine !== -1) {
      state.position = state.firstTabInLine;
      throwError(state, "tab characters must not be used in indentation");
    }
    if (ch !== 45) {
      break;
    }
    following = state.input.charCodeAt(state.position + 1);
    if (!is_WS_OR_EOL(following)) {
      break;
    }
    detected = true;
    state.position++;
    if (skipSeparationSpace(state, true, -1)) {
      if (state.lineIndent <= nodeIndent) {
        _result.push(null);
        ch = state.input.charCodeAt(state.position);
        continue;
      }
    }
    _line = state.line;
    composeNode(state, nodeIndent, CONTEXT_BLOCK_IN, false, true);
    _result.push(state.result);
    skipSeparationSpace(state, true, -1);
    ch = state.input.charCodeAt(state.position);
    if ((state.line === _line || state.lineIndent > nodeIndent) && ch !== 0) {
      throwError(state, "bad indentation of a sequence entry");
    } else if (state.lineIndent < nodeIndent) {
      break;
    }
  }
  if (detected) {
    state.tag = _tag;
    state.anchor = _anchor;
    state.kind = "sequence";
    state.result = _result;
    return true;
  }
  return false;
}
function readBlockMapping(state, nodeIndent, flowIndent) {
  var following, allowCompact, _line, _keyLine, _keyLineStart, _keyPos, _tag = state.tag, _anchor = state.anchor, _result = {}, overridableKeys = /* @__PURE__ */ Object.create(null), keyTag = null, keyNode = null, valueNode = null, atExplicitKey = false, detected = false, ch;
  if (state.firstTabInLine !== -1) return false;
  if (state.anchor !== null) {
    state.anchorMap[state.anchor] = _result;
  }
  ch = state.input.charCodeAt(state.position);
  while (ch !== 0) {
    if (!atExplicitKey && state.firstTabInLine !== -1) {
      state.position = state.firstTabInLine;
      throwError(state, "tab characters must not be used in indentation");
    }
    following = state.input.charCodeAt(state.position + 1);
    _line = state.line;
    if ((ch === 63 || ch === 58) && is_WS_OR_EOL(following)) {
      if (ch === 63) {
        if (atExplicitKey) {
          storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
          keyTag = keyNode = valueNode = null;
        }
        detected = true;
        atExplicitKey = true;
        allowCompact = true;
      } else if (atExplicitKey) {
        atExplicitKey = false;
        allowCompact = true;
      } else {
        throwError(state, "incomplete explicit mapping pair; a key node is missed; or followed by a non-tabulated empty line");
      }
      state.position += 1;
      ch = following;
    } else {
      _keyLine = state.line;
      _keyLineStart = state.lineStart;
      _keyPos = state.position;
      if (!composeNode(state, flowIndent, CONTEXT_FLOW_OUT, false, true)) {
        break;
      }
      if (state.line === _line) {
        ch = state.input.charCodeAt(state.position);
        while (is_WHITE_SPACE(ch)) {
          ch = state.input.charCodeAt(++state.position);
        }
        if (ch === 58) {
          ch = state.input.charCodeAt(++state.position);
          if (!is_WS_OR_EOL(ch)) {
            throwError(state, "a whitespace character is expected after the key-value separator within a block mapping");
          }
          if (atExplicitKey) {
            storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
            keyTag = keyNode = valueNode = null;
          }
          detected = true;
          atExplicitKey = false;
          allowCompact = false;
          keyTag = state.tag;
          keyNode = state.result;
        } else if (detected) {
          throwError(state, "can not read an implicit mapping pair; a colon is missed");
        } else {
          state.tag = _tag;
          state.anchor = _anchor;
          return true;
        }
      } else if (detected) {
        throwError(state, "can not read a block mapping entry; a multiline key may not be an implicit key");
      } else {
        state.tag = _tag;
        state.anchor = _anchor;
        return true;
      }
    }
    if (state.line === _line || state.lineIndent > nodeIndent) {
      if (atExplicitKey) {
        _keyLine = state.line;
        _keyLineStart = state.lineStart;
        _keyPos = state.position;
      }
      if (composeNode(state, nodeIndent, CONTEXT_BLOCK_OUT, true, allowCompact)) {
        if (atExplicitKey) {
          keyNode = state.result;
        } else {
          valueNode = state.result;
        }
      }
      if (!atExplicitKey) {
        storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, _keyLine, _keyLineStart, _keyPos);
        keyTag = keyNode = valueNode = null;
      }
      skipSeparationSpace(state, true, -1);
      ch = state.input.charCodeAt(state.position);
    }
    if ((state.line === _line || state.lineIndent > nodeIndent) && ch !== 0) {
      throwError(state, "bad indentation of a mapping entry");
    } else if (state.lineIndent < nodeIndent) {
      break;
    }
  }
  if (atExplicitKey) {
    storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
  }
  if (detected) {
    state.tag = _tag;
    state.anchor = _anchor;
    state.kind = "mapping";
    state.result = _result;
  }
  return detected;
}
function readTagProperty(state) {
  var _position, isVerbatim = false, isNamed = false, tagHandle, tagName, ch;
  ch = state.input.charCodeAt(state.position);
  if (ch !== 33) return false;
  if (state.tag !== null) {
    throwError(state, "duplication of a tag property");
  }
  ch = state.input.charCodeAt(++state.position);
  if (ch === 60) {
    isVerbatim = true;
    ch = state.input.charCodeAt(++state.position);
  } else if (ch === 33) {
    isNamed = true;
    tagHandle = "!!";
    ch = state.input.charCodeAt(++state.position);
  } else {
    tagHandle = "!";
  }
  _position = state.position;
  if (isVerbatim) {
    do {
      ch = state.input.charCodeAt(++state.position);
    } while (ch !== 0 && ch !== 62);
    if (state.position < state.length) {
      tagName = state.input.slice(_position, state.position);
      ch = state.input.charCodeAt(++state.position);
    } else {
      throwError(state, "unexpected end of the stream within a verbatim tag");
    }
  } else {
    while (ch !== 0 && !is_WS_OR_EOL(ch)) {
      if (ch === 33) {
        if (!isNamed) {
          tagHandle = state.input.slice(_position - 1, state.position + 1);
          if (!PATTERN_TAG_HANDLE.test(tagHandle)) {
            throwError(state, "named tag handle cannot contain such characters");
          }
          isNamed = true;
          _position = state.position + 1;
        } else {
          throwError(state, "tag suffix cannot contain exclamation marks");
        }
      }
      ch = state.input.charCodeAt(++state.position);
    }
    tagName = state.input.slice(_position, state.position);
    if (PATTERN_FLOW_INDICATORS.test(tagName)) {
      throwError(state, "tag suffix cannot contain flow indicator characters");
    }
  }
  if (tagName && !PATTERN_TAG_URI.test(tagName)) {
    throwError(state, "tag name cannot contain such characters: " + tagName);
  }
  try {
    tagName = decodeURIComponent(tagName);
  } catch (err) {
    throwError(state, "tag name is malformed: " + tagName);
  }
  if (isVerbatim) {
    state.tag = tagName;
  } else if (_hasOwnProperty$1.call(state.tagMap, tagHandle)) {
    state.tag = state.tagMap[tagHandle] + tagName;
  } else if (tagHandle === "!") {
    state.tag = "!" + tagName;
  } else if (tagHandle === "!!") {
    state.tag = "tag:yaml.org,2002:" + tagName;
  } else {
    throwError(state, 'undeclared tag handle "' + tagHandle + '"');
  }
  return true;
}
function readAnchorProperty(state) {
  var _position, ch;
  ch = state.input.charCodeAt(state.position);
  if (ch !== 38) return false;
  if (state.anchor !== null) {
    throwError(state, "duplication of an anchor property");
  }
  ch = state.input.charCodeAt(++state.position);
  _position = state.position;
  while (ch !== 0 && !is_WS_OR_EOL(ch) && !is_FLOW_INDICATOR(ch)) {
    ch = state.input.charCodeAt(++state.position);
  }
  if (state.position === _position) {
    throwError(state, "name of an anchor node must contain at least one character");
  }
  state.anchor = state.input.slice(_position, state.position);
  return true;
}
function readAlias(state) {
  var _position, alias, ch;
  ch = state.input.charCodeAt(state.position);
  if (ch !== 42) return false;
  ch = state.input.charCodeAt(++state.position);
  _position = state.position;
  while (ch !== 0 && !is_WS_OR_EOL(ch) && !is_FLOW_INDICATOR(ch)) {
    ch = state.input.charCodeAt(++state.position);
  }
  if (state.position === _position) {
    throwError(state, "name of an alias node must contain at least one character");
  }
  alias = state.input.slice(_position, state.position);
  if (!_hasOwnProperty$1.call(state.anchorMap, alias)) {
    throwError(state, 'unidentified alias "' + alias + '"');
  }
  state.result = state.anchorMap[alias];
  skipSeparationSpace(state, true, -1);
  return true;
}
function composeNode(state, parentIndent, nodeContext, allowToSeek, allowCompact) {
  var allowBlockStyles, allowBlockScalars, allowBlockCollections, indentStatus = 1, atNewLine = false, hasContent = false, typeIndex, typeQuantity, typeList, type2, flowIndent, blockIndent;
  if (state.listener !== null) {
    state.listener("open", state);
  }
  state.tag = null;
  state.anchor = null;
  state.kind = null;
  state.result = null;
  allowBlockStyles = allowBlockScalars = allowBlockCollections = CONTEXT_BLOCK_OUT === nodeContext || CONTEXT_BLOCK_IN === nodeContext;
  if (allowToSeek) {
    if (skipSeparationSpace(state, true, -1)) {
      atNewLine = true;
      if (state.lineIndent > parentIndent) {
        indentStatus = 1;
      } else if (state.lineIndent === parentIndent) {
        indentStatus = 0;
      } else if (state.lineIndent < parentIndent) {
        indentStatus = -1;
      }
    }
  }
  if (indentStatus === 1) {
    while (readTagProperty(state) || readAnchorProperty(state)) {
      if (skipSeparationSpace(state, true, -1)) {
        atNewLine = true;
        allowBlockCollections = allowBlockStyles;
        if (state.lineIndent > parentIndent) {
          indentStatus = 1;
        } else if (state.lineIndent === parentIndent) {
          indentStatus = 0;
        } else if (state.lineIndent < parentIndent) {
          indentStatus = -1;
        }
      } else {
        allowBlockCollections = false;
      }
    }
  }
  if (allowBlockCollections) {
    allowBlockCollections = atNewLine || allowCompact;
  }
  if (indentStatus === 1 || CONTEXT_BLOCK_OUT === nodeContext) {
    if (CONTEXT_FLOW_IN === nodeContext || CONTEXT_FLOW_OUT === nodeContext) {
      flowIndent = parentIndent;
    } else {
      flowIndent = parentIndent + 1;
    }
    blockIndent = state.position - state.lineStart;
    if (indentStatus === 1) {
      if (allowBlockCollections && (readBlockSequence(state, blockIndent) || readBlockMapping(state, blockIndent, flowIndent)) || readFlowCollection(state, flowIndent)) {
        hasContent = true;
      } else {
        if (allowBlockScalars && readBlockScalar(state, flowIndent) || readSingleQuotedScalar(state, flowIndent) || readDoubleQuotedScalar(state, flowIndent)) {
          hasContent = true;
        } else if (readAlias(state)) {
          hasContent = true;
          if (state.tag !== null || state.anchor !== null) {
            throwError(state, "alias node should not have any properties");
          }
        } else if (readPlainScalar(state, flowIndent, CONTEXT_FLOW_IN === nodeContext)) {
          hasContent = true;
          if (state.tag === null) {
            state.tag = "?";
          }
        }
        if (state.anchor !== null) {
          state.anchorMap[state.anchor] = state.result;
        }
      }
    } else if (indentStatus === 0) {
      hasContent = allowBlockCollections && readBlockSequence(state, blockIndent);
    }
  }
  if (state.tag === null) {
    if (state.anchor !== null) {
      state.anchorMap[state.anchor] = state.result;
    }
  } else if (state.tag === "?") {
    if (state.result !== null && state.kind !== "scalar") {
      throwError(state, 'unacceptable node kind for !<?> tag; it should be "scalar", not "' + state.kind + '"');
    }
    for (typeIndex = 0, typeQuantity = state.implicitTypes.length; typeIndex < typeQuantity; typeIndex += 1) {
      type2 = state.implicitTypes[typeIndex];
      if (type2.resolve(state.result)) {
        state.result = type2.construct(state.result);
        state.tag = type2.tag;
        if (state.anchor !== null) {
          state.anchorMap[state.anchor] = state.result;
        }
        break;
      }
    }
  } else if (state.tag !== "!") {
    if (_hasOwnProperty$1.call(state.typeMap[state.kind || "fallback"], state.tag)) {
      type2 = state.typeMap[state.kind || "fallback"][state.tag];
    } else {
      type2 = null;
      typeList = state.typeMap.multi[state.kind || "fallback"];
      for (typeIndex = 0, typeQuantity = typeList.length; typeIndex < typeQuantity; typeIndex += 1) {
        if (state.tag.slice(0, typeList[typeIndex].tag.length) === typeList[typeIndex].tag) {
          type2 = typeList[typeIndex];
          break;
        }
      }
    }
    if (!type2) {
      throwError(state, "unknown tag !<" + state.tag + ">");
    }
    if (state.result !== null && type2.kind !== state.kind) {
      throwError(state, "unacceptable node kind for !<" + state.tag + '> tag; it should be "' + type2.kind + '", not "' + state.kind + '"');
    }
    if (!type2.resolve(state.result, state.tag)) {
      throwError(state, "cannot resolve a node with !<" + state.tag + "> explicit tag");
    } else {
      state.result = type2.construct(state.result, state.tag);
      if (state.anchor !== null) {
        state.anchorMap[state.anchor] = state.result;
      }
    }
  }
  if (state.listener !== null) {
    state.listener("close", state);
  }
  return state.tag !== null || state.anchor !== null || hasContent;
}
function readDocument(state) {
  var documentStart = state.position, _position, directiveName, directiveArgs, hasDirectives = false, ch;
  state.version = null;
  state.checkLineBreaks = state.legacy;
  state.tagMap = /* @__PURE__ */ Object.create(null);
  state.anchorMap = /* @__PURE__ */ Object.create(null);
  while ((ch = state.input.charCodeAt(state.position)) !== 0) {
    skipSeparationSpace(state, true, -1);
    ch = state.input.charCodeAt(state.position);
    if (state.lineIndent > 0 || ch !== 37) {
      break;
    }
    hasDirectives = true;
    ch = state.input.charCodeAt(++state.position);
    _position = state.position;
    while (ch !== 0 && !is_WS_OR_EOL(ch)) {
      ch = state.input.charCodeAt(++state.position);
    }
    directiveName = state.input.slice(_position, state.position);
    directiveArgs = [];
    if (directiveName.length < 1) {
      throwError(state, "directive name must not be less than one character in length");
    }
    while (ch !== 0) {
      while (is_WHITE_SPACE(ch)) {
        ch = state.input.charCodeAt(++state.position);
      }
      if (ch === 35) {
        do {
          ch = state.input.charCodeAt(++state.position);
        } while (ch !== 0 && !is_EOL(ch));
        break;
      }
      if (is_EOL(ch)) break;
      _position = state.position;
      while (ch !== 0 && !is_WS_OR_EOL(ch)) {
        ch = state.input.charCodeAt(++state.position);
      }
      directiveArgs.push(state.input.slice(_position, state.position));
    }
    if (ch !== 0) readLineBreak(state);
    if (_hasOwnProperty$1.call(directiveHandlers, directiveName)) {
      directiveHandlers[directiveName](state, directiveName, directiveArgs);
    } else {
      throwWarning(state, 'unknown document directive "' + directiveName + '"');
    }
  }
  skipSeparationSpace(state, true, -1);
  if (state.lineIndent === 0 && state.input.charCodeAt(state.position) === 45 && state.input.charCodeAt(state.position + 1) === 45 && state.input.charCodeAt(state.position + 2) === 45) {
    state.position += 3;
    skipSeparationSpace(state, true, -1);
  } else if (hasDirectives) {
    throwError(state, "directives end mark is expected");
  }
  composeNode(state, state.lineIndent - 1, CONTEXT_BLOCK_OUT, false, true);
  skipSeparationSpace(state, true, -1);
  if (state.checkLineBreaks && PATTERN_NON_ASCII_LINE_BREAKS.test(state.input.slice(documentStart, state.position))) {
    throwWarning(state, "non-ASCII line breaks are interpreted as content");
  }
  state.documents.push(state.result);
  if (state.position === state.lineStart && testDocumentSeparator(state)) {
    if (state.input.charCodeAt(state.position) === 46) {
      state.position += 3;
      skipSeparationSpace(state, true, -1);
    }
    return;
  }
  if (state.position < state.length - 1) {
    throwError(state, "end of the stream or a document separator is expected");
  } else {
    return;
  }
}
function loadDocuments(input, options) {
  input = String(input);
  options = options || {};
  if (input.length !== 0) {
    if (input.charCodeAt(input.length - 1) !== 10 && input.charCodeAt(input.length - 1) !== 13) {
      input += "\n";
    }
    if (input.charCodeAt(0) === 65279) {
      input = input.slice(1);
    }
  }
  var state = new State$1(input, options);
  var nullpos = input.indexOf("\0");
  if (nullpos !== -1) {
    state.position = nullpos;
    throwError(state, "null byte is not allowed in input");
  }
  state.input += "\0";
  while (state.input.charCodeAt(state.position) === 32) {
    state.lineIndent += 1;
    state.position += 1;
  }
  while (state.position < state.length - 1) {
    readDocument(state);
  }
  return state.documents;
}
function loadAll$1(input, iterator, options) {
  if (iterator !== null && typeof iterator === "object" && typeof options === "undefined") {
    options = iterator;
    iterator = null;
  }
  var documents = loadDocuments(input, options);
  if (typeof iterator !== "function") {
    return documents;
  }
  for (var index2 = 0, length2 = documents.length; index2 < length2; index2 += 1) {
    iterator(documents[index2]);
  }
}
function load$1(input, options) {
  var documents = loadDocuments(input, options);
  if (documents.length === 0) {
    return void 0;
  } else if (documents.length === 1) {
    return documents[0];
  }
  throw new exception("expected a single document in the stream, but found more");
}
var loadAll_1 = loadAll$1;
var load_1 = load$1;
var loader = {
  loadAll: loadAll_1,
  load: load_1
};
var _toString = Object.prototype.toString;
var _hasOwnProperty = Object.prototype.hasOwnProperty;
var CHAR_BOM = 65279;
var CHAR_TAB = 9;
var CHAR_LINE_FEED = 10;
var CHAR_CARRIAGE_RETURN = 13;
var CHAR_SPACE = 32;
var CHAR_EXCLAMATION = 33;
var CHAR_DOUBLE_QUOTE = 34;
var CHAR_SHARP = 35;
var CHAR_PERCENT = 37;
var CHAR_AMPERSAND = 38;
var CHAR_SINGLE_QUOTE = 39;
var CHAR_ASTERISK = 42;
var CHAR_COMMA = 44;
var CHAR_MINUS = 45;
var CHAR_COLON = 58;
var CHAR_EQUALS = 61;
var CHAR_GREATER_THAN = 62;
var CHAR_QUESTION = 63;
var CHAR_COMMERCIAL_AT = 64;
var CHAR_LEFT_SQUARE_BRACKET = 91;
var CHAR_RIGHT_SQUARE_BRACKET = 93;
var CHAR_GRAVE_ACCENT = 96;
var CHAR_LEFT_CURLY_BRACKET = 123;
var CHAR_VERTICAL_LINE = 124;
var CHAR_RIGHT_CURLY_BRACKET = 125;
var ESCAPE_SEQUENCES = {};
ESCAPE_SEQUENCES[0] = "\\0";
ESCAPE_SEQUENCES[7] = "\\a";
ESCAPE_SEQUENCES[8] = "\\b";
ESCAPE_SEQUENCES[9] = "\\t";
ESCAPE_SEQUENCES[10] = "\\n";
ESCAPE_SEQUENCES[11] = "\\v";
ESCAPE_SEQUENCES[12] = "\\f";
ESCAPE_SEQUENCES[13] = "\\r";
ESCAPE_SEQUENCES[27] = "\\e";
ESCAPE_SEQUENCES[34] = '\\"';
ESCAPE_SEQUENCES[92] = "\\\\";
ESCAPE_SEQUENCES[133] = "\\N";
ESCAPE_SEQUENCES[160] = "\\_";
ESCAPE_SEQUENCES[8232] = "\\L";
ESCAPE_SEQUENCES[8233] = "\\P";
var DEPRECATED_BOOLEANS_SYNTAX = [
  "y",
  "Y",
  "yes",
  "Yes",
  "YES",
  "on",
  "On",
  "ON",
  "n",
  "N",
  "no",
  "No",
  "NO",
  "off",
  "Off",
  "OFF"
];
var DEPRECATED_BASE60_SYNTAX = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;
function compileStyleMap(schema2, map2) {
  var result, keys, index2, length2, tag, style, type2;
  if (map2 === null) return {};
  result = {};
  keys = Object.keys(map2);
  for (index2 = 0, length2 = keys.length; index2 < length2; index2 += 1) {
    tag = keys[index2];
    style = String(map2[tag]);
    if (tag.slice(0, 2) === "!!") {
      tag = "tag:yaml.org,2002:" + tag.slice(2);
    }
    type2 = schema2.compiledTypeMap["fallback"][tag];
    if (type2 && _hasOwnProperty.call(type2.styleAliases, style)) {
      style = type2.styleAliases[style];
    }
    result[tag] = style;
  }
  return result;
}
function encodeHex(character) {
  var string, handle, length2;
  string = character.toString(16).toUpperCase();
  if (character <= 255) {
    handle = "x";
    length2 = 2;
  } else if (character <= 65535) {
    handle = "u";
    length2 = 4;
  } else if (character <= 4294967295) {
    handle = "U";
    length2 = 8;
  } else {
    throw new exception("code point within a string may not be greater than 0xFFFFFFFF");
  }
  return "\\" + handle + common.repeat("0", length2 - string.length) + string;
}
var QUOTING_TYPE_SINGLE = 1;
var QUOTING_TYPE_DOUBLE = 2;
function State(options) {
  this.schema = options["schema"] || _default;
  this.indent = Math.max(1, options["indent"] || 2);
  this.noArrayIndent = options["noArrayIndent"] || false;
  this.skipInvalid = options["skipInvalid"] || false;
  this.flowLevel = common.isNothing(options["flowLevel"]) ? -1 : options["flowLevel"];
  this.styleMap = compileStyleMap(this.schema, options["styles"] || null);
  this.sortKeys = options["sortKeys"] || false;
  this.lineWidth = options["lineWidth"] || 80;
  this.noRefs = options["noRefs"] || false;
  this.noCompatMode = options["noCompatMode"] || false;
  this.condenseFlow = options["condenseFlow"] || false;
  this.quotingType = options["quotingType"] === '"' ? QUOTING_TYPE_DOUBLE : QUOTING_TYPE_SINGLE;
  this.forceQuotes = options["forceQuotes"] || false;
  this.replacer = typeof options["replacer"] === "function" ? options["replacer"] : null;
  this.implicitTypes = this.schema.compiledImplicit;
  this.explicitTypes = this.schema.compiledExplicit;
  this.tag = null;
  this.result = "";
  this.duplicates = [];
  this.usedDuplicates = null;
}
function indentString(string, spaces) {
  var ind = common.repeat(" ", spaces), position2 = 0, next = -1, result = "", line, length2 = string.length;
  while (position2 < length2) {
    next = string.indexOf("\n", position2);
    if (next === -1) {
      line = string.slice(position2);
      position2 = length2;
    } else {
      line = string.slice(position2, next + 1);
      position2 = next + 1;
    }
    if (line.length && line !== "\n") result += ind;
    result += line;
  }
  return result;
}
function generateNextLine(state, level) {
  return "\n" + common.repeat(" ", state.indent * level);
}
function testImplicitResolving(state, str3) {
  var index2, length2, type2;
  for (index2 = 0, length2 = state.implicitTypes.length; index2 < length2; index2 += 1) {
    type2 = state.implicitTypes[index2];
    if (type2.resolve(str3)) {
      return true;
    }
  }
  return false;
}
function isWhitespace(c) {
  return c === CHAR_SPACE || c === CHAR_TAB;
}
function isPrintable(c) {
  return 32 <= c && c <= 126 || 161 <= c && c <= 55295 && c !== 8232 && c !== 8233 || 57344 <= c && c <= 65533 && c !== CHAR_BOM || 65536 <= c && c <= 1114111;
}
function isNsCharOrWhitespace(c) {
  return isPrintable(c) && c !== CHAR_BOM && c !== CHAR_CARRIAGE_RETURN && c !== CHAR_LINE_FEED;
}
function isPlainSafe(c, prev, inblock) {
  var cIsNsCharOrWhitespace = isNsCharOrWhitespace(c);
  var cIsNsChar = cIsNsCharOrWhitespace && !isWhitespace(c);
  return (
    // ns-plain-safe
    (inblock ? (
      // c = flow-in
      cIsNsCharOrWhitespace
    ) : cIsNsCharOrWhitespace && c !== CHAR_COMMA && c !== CHAR_LEFT_SQUARE_BRACKET && c !== CHAR_RIGHT_SQUARE_BRACKET && c !== CHAR_LEFT_CURLY_BRACKET && c !== CHAR_RIGHT_CURLY_BRACKET) && c !== CHAR_SHARP && !(prev === CHAR_COLON && !cIsNsChar) || isNsCharOrWhitespace(prev) && !isWhitespace(prev) && c === CHAR_SHARP || prev === CHAR_COLON && cIsNsChar
  );
}
function isPlainSafeFirst(c) {
  return isPrintable(c) && c !== CHAR_BOM && !isWhitespace(c) && c !== CHAR_MINUS && c !== CHAR_QUESTION && c !== CHAR_COLON && c !== CHAR_COMMA && c !== CHAR_LEFT_SQUARE_BRACKET && c !== CHAR_RIGHT_SQUARE_BRACKET && c !== CHAR_LEFT_CURLY_BRACKET && c !== CHAR_RIGHT_CURLY_BRACKET && c !== CHAR_SHARP && c !== CHAR_AMPERSAND && c !== CHAR_ASTERISK && c !== CHAR_EXCLAMATION && c !== CHAR_VERTICAL_LINE && c !== CHAR_EQUALS && c !== CHAR_GREATER_THAN && c !== CHAR_SINGLE_QUOTE && c !== CHAR_DOUBLE_QUOTE && c !== CHAR_PERCENT && c !== CHAR_COMMERCIAL_AT && c !== CHAR_GRAVE_ACCENT;
}
function isPlainSafeLast(c) {
  return !isWhitespace(c) && c !== CHAR_COLON;
}
function codePointAt(string, pos) {
  var first = string.charCodeAt(pos), second;
  if (first >= 55296 && first <= 56319 && pos + 1 < string.length) {
    second = string.charCodeAt(pos + 1);
    if (second >= 56320 && second <= 57343) {
      return (first - 55296) * 1024 + second - 56320 + 65536;
    }
  }
  return first;
}
function needIndentIndicator(string) {
  var leadingSpaceRe = /^\n* /;
  return leadingSpaceRe.test(string);
}
var STYLE_PLAIN = 1;
var STYLE_SINGLE = 2;
var STYLE_LITERAL = 3;
var STYLE_FOLDED = 4;
var STYLE_DOUBLE = 5;
function chooseScalarStyle(string, singleLineOnly, indentPerLevel, lineWidth, testAmbiguousType, quotingType, forceQuotes, inblock) {
  var i2;
  var char = 0;
  var prevChar = null;
  var hasLineBreak = false;
  var hasFoldableLine = false;
  var shouldTrackWidth = lineWidth !== -1;
  var previousLineBreak = -1;
  var plain = isPlainSafeFirst(codePointAt(string, 0)) && isPlainSafeLast(codePointAt(string, string.length - 1));
  if (singleLineOnly || forceQuotes) {
    for (i2 = 0; i2 < string.length; char >= 65536 ? i2 += 2 : i2++) {
      char = codePointAt(string, i2);
      if (!isPrintable(char)) {
        return STYLE_DOUBLE;
      }
      plain = plain && isPlainSafe(char, prevChar, inblock);
      prevChar = char;
    }
  } else {
    for (i2 = 0; i2 < string.length; char >= 65536 ? i2 += 2 : i2++) {
      char = codePointAt(string, i2);
      if (char === CHAR_LINE_FEED) {
        hasLineBreak = true;
        if (shouldTrackWidth) {
          hasFoldableLine = hasFoldableLine || // Foldable line = too long, and not more-indented.
          i2 - previousLineBreak - 1 > lineWidth && string[previousLineBreak + 1] !== " ";
          previousLineBreak = i2;
        }
      } else if (!isPrintable(char)) {
        return STYLE_DOUBLE;
      }
      plain = plain && isPlainSafe(char, prevChar, inblock);
      prevChar = char;
    }
    hasFoldableLine = hasFoldableLine || shouldTrackWidth && (i2 - previousLineBreak - 1 > lineWidth && string[previousLineBreak + 1] !== " ");
  }
  if (!hasLineBreak && !hasFoldableLine) {
    if (plain && !forceQuotes && !testAmbiguousType(string)) {
      return STYLE_PLAIN;
    }
    return quotingType === QUOTING_TYPE_DOUBLE ? STYLE_DOUBLE : STYLE_SINGLE;
  }
  if (indentPerLevel > 9 && needIndentIndicator(string)) {
    return STYLE_DOUBLE;
  }
  if (!forceQuotes) {
    return hasFoldableLine ? STYLE_FOLDED : STYLE_LITERAL;
  }
  return quotingType === QUOTING_TYPE_DOUBLE ? STYLE_DOUBLE : STYLE_SINGLE;
}
function writeScalar(state, string, level, iskey, inblock) {
  state.dump = (function() {
    if (string.length === 0) {
      return state.quotingType === QUOTING_TYPE_DOUBLE ? '""' : "''";
    }
    if (!state.noCompatMode) {
      if (DEPRECATED_BOOLEANS_SYNTAX.indexOf(string) !== -1 || DEPRECATED_BASE60_SYNTAX.test(string)) {
        return state.quotingType === QUOTING_TYPE_DOUBLE ? '"' + string + '"' : "'" + string + "'";
      }
    }
    var indent = state.indent * Math.max(1, level);
    var lineWidth = state.lineWidth === -1 ? -1 : Math.max(Math.min(state.lineWidth, 40), state.lineWidth - indent);
    var singleLineOnly = iskey || state.flowLevel > -1 && level >= state.flowLevel;
    function testAmbiguity(string2) {
      return testImplicitResolving(state, string2);
    }
    switch (chooseScalarStyle(
      string,
      singleLineOnly,
      state.indent,
      lineWidth,
      testAmbiguity,
      state.quotingType,
      state.forceQuotes && !iskey,
      inblock
    )) {
      case STYLE_PLAIN:
        return string;
      case STYLE_SINGLE:
        return "'" + string.replace(/'/g, "''") + "'";
      case STYLE_LITERAL:
        return "|" + blockHeader(string, state.indent) + dropEndingNewline(indentString(string, indent));
      case STYLE_FOLDED:
        return ">" + blockHeader(string, state.indent) + dropEndingNewline(indentString(foldString(string, lineWidth), indent));
      case STYLE_DOUBLE:
        return '"' + escapeString(string) + '"';
      default:
        throw new exception("impossible error: invalid scalar style");
    }
  })();
}
function blockHeader(string, indentPerLevel) {
  var indentIndicator = needIndentIndicator(string) ? String(indentPerLevel) : "";
  var clip = string[string.length - 1] === "\n";
  var keep = clip && (string[string.length - 2] === "\n" || string === "\n");
  var chomp = keep ? "+" : clip ? "" : "-";
  return indentIndicator + chomp + "\n";
}
function dropEndingNewline(string) {
  return string[string.length - 1] === "\n" ? string.slice(0, -1) : string;
}
function foldString(string, width) {
  var lineRe = /(\n+)([^\n]*)/g;
  var result = (function() {
    var nextLF = string.indexOf("\n");
    nextLF = nextLF !== -1 ? nextLF : string.length;
    lineRe.lastIndex = nextLF;
    return foldLine(string.slice(0, nextLF), width);
  })();
  var prevMoreIndented = string[0] === "\n" || string[0] === " ";
  var moreIndented;
  var match;
  while (match = lineRe.exec(string)) {
    var prefix = match[1], line = match[2];
    moreIndented = line[0] === " ";
    result += prefix + (!prevMoreIndented && !moreIndented && line !== "" ? "\n" : "") + foldLine(line, width);
    prevMoreIndented = moreIndented;
  }
  return result;
}
function foldLine(line, width) {
  if (line === "" || line[0] === " ") return line;
  var breakRe = / [^ ]/g;
  var match;
  var start = 0, end, curr = 0, next = 0;
  var result = "";
  while (match = breakRe.exec(line)) {
    next = match.index;
    if (next - start > width) {
      end = curr > start ? curr : next;
      result += "\n" + line.slice(start, end);
      start = end + 1;
    }
    curr = next;
  }
  result += "\n";
  if (line.length - start > width && curr > start) {
    result += line.slice(start, curr) + "\n" + line.slice(curr + 1);
  } else {
    result += line.slice(start);
  }
  return result.slice(1);
}
function escapeString(string) {
  var result = "";
  var char = 0;
  var escapeSeq;
  for (var i2 = 0; i2 < string.length; char >= 65536 ? i2 += 2 : i2++) {
    char = codePointAt(string, i2);
    escapeSeq = ESCAPE_SEQUENCES[char];
    if (!escapeSeq && isPrintable(char)) {
      result += string[i2];
      if (char >= 65536) result += string[i2 + 1];
    } else {
      result += escapeSeq || encodeHex(char);
    }
  }
  return result;
}
function writeFlowSequence(state, level, object) {
  var _result = "", _tag = state.tag, index2, length2, value;
  for (index2 = 0, length2 = object.length; index2 < length2; index2 += 1) {
    value = object[index2];
    if (state.replacer) {
      value = state.replacer.call(object, String(index2), value);
    }
    if (writeNode(state, level, value, false, false) || typeof value === "undefined" && writeNode(state, level, null, false, false)) {
      if (_result !== "") _result += "," + (!state.condenseFlow ? " " : "");
      _result += state.dump;
    }
  }
  state.tag = _tag;
  state.dump = "[" + _result + "]";
}
function writeBlockSequence(state, level, object, compact) {
  var _result = "", _tag = state.tag, index2, length2, value;
  for (index2 = 0, length2 = object.length; index2 < length2; index2 += 1) {
    value = object[index2];
    if (state.replacer) {
      value = state.replacer.call(object, String(index2), value);
    }
    if (writeNode(state, level + 1, value, true, true, false, true) || typeof value === "undefined" && writeNode(state, level + 1, null, true, true, false, true)) {
      if (!compact || _result !== "") {
        _result += generateNextLine(state, level);
      }
      if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
        _result += "-";
      } else {
        _result += "- ";
      }
      _result += state.dump;
    }
  }
  state.tag = _tag;
  state.dump = _result || "[]";
}
function writeFlowMapping(state, level, object) {
  var _result = "", _tag = state.tag, objectKeyList = Object.keys(object), index2, length2, objectKey2, objectValue, pairBuffer;
  for (index2 = 0, length2 = objectKeyList.length; index2 < length2; index2 += 1) {
    pairBuffer = "";
    if (_result !== "") pairBuffer += ", ";
    if (state.condenseFlow) pairBuffer += '"';
    objectKey2 = objectKeyList[index2];
    objectValue = object[objectKey2];
    if (state.replacer) {
      objectValue = state.replacer.call(object, objectKey2, objectValue);
    }
    if (!writeNode(state, level, objectKey2, false, false)) {
      continue;
    }
    if (state.dump.length > 1024) pairBuffer += "? ";
    pairBuffer += state.dump + (state.condenseFlow ? '"' : "") + ":" + (state.condenseFlow ? "" : " ");
    if (!writeNode(state, level, objectValue, false, false)) {
      continue;
    }
    pairBuffer += state.dump;
    _result += pairBuffer;
  }
  state.tag = _tag;
  state.dump = "{" + _result + "}";
}
function writeBlockMapping(state, level, object, compact) {
  var _result = "", _tag = state.tag, objectKeyList = Object.keys(object), index2, length2, objectKey2, objectValue, explicitPair, pairBuffer;
  if (state.sortKeys === true) {
    objectKeyList.sort();
  } else if (typeof state.sortKeys === "function") {
    objectKeyList.sort(state.sortKeys);
  } else if (state.sortKeys) {
    throw new exception("sortKeys must be a boolean or a function");
  }
  for (index2 = 0, length2 = objectKeyList.length; index2 < length2; index2 += 1) {
    pairBuffer = "";
    if (!compact || _result !== "") {
      pairBuffer += generateNextLine(state, level);
    }
    objectKey2 = objectKeyList[index2];
    objectValue = object[objectKey2];
    if (state.replacer) {
      objectValue = state.replacer.call(object, objectKey2, objectValue);
    }
    if (!writeNode(state, level + 1, objectKey2, true, true, true)) {
      continue;
    }
    explicitPair = state.tag !== null && state.tag !== "?" || state.dump && state.dump.length > 1024;
    if (explicitPair) {
      if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
        pairBuffer += "?";
      } else {
        pairBuffer += "? ";
      }
    }
    pairBuffer += state.dump;
    if (explicitPair) {
      pairBuffer += generateNextLine(state, level);
    }
    if (!writeNode(state, level + 1, objectValue, true, explicitPair)) {
      continue;
    }
    if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
      pairBuffer += ":";
    } else {
      pairBuffer += ": ";
    }
    pairBuffer += state.dump;
    _result += pairBuffer;
  }
  state.tag = _tag;
  state.dump = _result || "{}";
}
function detectType(state, object, explicit) {
  var _result, typeList, index2, length2, type2, style;
  typeList = explicit ? state.explicitTypes : state.implicitTypes;
  for (index2 = 0, length2 = typeList.length; index2 < length2; index2 += 1) {
    type2 = typeList[index2];
    if ((type2.instanceOf || type2.predicate) && (!type2.instanceOf || typeof object === "object" && object instanceof type2.instanceOf) && (!type2.predicate || type2.predicate(object))) {
      if (explicit) {
        if (type2.multi && type2.representName) {
          state.tag = type2.representName(object);
        } else {
          state.tag = type2.tag;
        }
      } else {
        state.tag = "?";
      }
      if (type2.represent) {
        style = state.styleMap[type2.tag] || type2.defaultStyle;
        if (_toString.call(type2.represent) === "[object Function]") {
          _result = type2.represent(object, style);
        } else if (_hasOwnProperty.call(type2.represent, style)) {
          _result = type2.represent[style](object, style);
        } else {
          throw new exception("!<" + type2.tag + '> tag resolver accepts not "' + style + '" style');
        }
        state.dump = _result;
      }
      return true;
    }
  }
  return false;
}
function writeNode(state, level, object, block, compact, iskey, isblockseq) {
  state.tag = null;
  state.dump = object;
  if (!detectType(state, object, false)) {
    detectType(state, object, true);
  }
  var type2 = _toString.call(state.dump);
  var inblock = block;
  var tagStr;
  if (block) {
    block = state.flowLevel < 0 || state.flowLevel > level;
  }
  var objectOrArray = type2 === "[object Object]" || type2 === "[object Array]", duplicateIndex, duplicate;
  if (objectOrArray) {
    duplicateIndex = state.duplicates.indexOf(object);
    duplicate = duplicateIndex !== -1;
  }
  if (state.tag !== null && state.tag !== "?" || duplicate || state.indent !== 2 && level > 0) {
    compact = false;
  }
  if (duplicate && state.usedDuplicates[duplicateIndex]) {
    state.dump = "*ref_" + duplicateIndex;
  } else {
    if (objectOrArray && duplicate && !state.usedDuplicates[duplicateIndex]) {
      state.usedDuplicates[duplicateIndex] = true;
    }
    if (type2 === "[object Object]") {
      if (block && Object.keys(state.dump).length !== 0) {
        writeBlockMapping(state, level, state.dump, compact);
        if (duplicate) {
          state.dump = "&ref_" + duplicateIndex + state.dump;
        }
      } else {
        writeFlowMapping(state, level, state.dump);
        if (duplicate) {
          state.dump = "&ref_" + duplicateIndex + " " + state.dump;
        }
      }
    } else if (type2 === "[object Array]") {
      if (block && state.dump.length !== 0) {
        if (state.noArrayIndent && !isblockseq && level > 0) {
          writeBlockSequence(state, level - 1, state.dump, compact);
        } else {
          writeBlockSequence(state, level, state.dump, compact);
        }
        if (duplicate) {
          state.dump = "&ref_" + duplicateIndex + state.dump;
        }
      } else {
        writeFlowSequence(state, level, state.dump);
        if (duplicate) {
          state.dump = "&ref_" + duplicateIndex + " " + state.dump;
        }
      }
    } else if (type2 === "[object String]") {
      if (state.tag !== "?") {
        writeScalar(state, state.dump, level, iskey, inblock);
      }
    } else if (type2 === "[object Undefined]") {
      return false;
    } else {
      if (state.skipInvalid) return false;
      throw new exception("unacceptable kind of an object to dump " + type2);
    }
    if (state.tag !== null && state.tag !== "?") {
      tagStr = encodeURI(
        state.tag[0] === "!" ? state.tag.slice(1) : state.tag
      ).replace(/!/g, "%21");
      if (state.tag[0] === "!") {
        tagStr = "!" + tagStr;
      } else if (tagStr.slice(0, 18) === "tag:yaml.org,2002:") {
        tagStr = "!!" + tagStr.slice(18);
      } else {
        tagStr = "!<" + tagStr + ">";
      }
      state.dump = tagStr + " " + state.dump;
    }
  }
  return true;
}
function getDuplicateReferences(object, state) {
  var objects = [], duplicatesIndexes = [], index2, length2;
  inspectNode(object, objects, duplicatesIndexes);
  for (index2 = 0, length2 = duplicatesIndexes.length; index2 < length2; index2 += 1) {
    state.duplicates.push(objects[duplicatesIndexes[index2]]);
  }
  state.usedDuplicates = new Array(length2);
}
function inspectNode(object, objects, duplicatesIndexes) {
  var objectKeyList, index2, length2;
  if (object !== null && typeof object === "object") {
    index2 = objects.indexOf(object);
    if (index2 !== -1) {
      if (duplicatesIndexes.indexOf(index2) === -1) {
        duplicatesIndexes.push(index2);
      }
    } else {
      objects.push(object);
      if (Array.isArray(object)) {
        for (index2 = 0, length2 = object.length; index2 < length2; index2 += 1) {
          inspectNode(object[index2], objects, duplicatesIndexes);
        }
      } else {
        objectKeyList = Object.keys(object);
        for (index2 = 0, length2 = objectKeyList.length; index2 < length2; index2 += 1) {
          inspectNode(object[objectKeyList[index2]], objects, duplicatesIndexes);
        }
      }
    }
  }
}
function dump$1(input, options) {
  options = options || {};
  var state = new State(options);
  if (!state.noRefs) getDuplicateReferences(input, state);
  var value = input;
  if (state.replacer) {
    value = state.replacer.call({ "": value }, "", value);
  }
  if (writeNode(state, 0, value, true, true)) return state.dump + "\n";
  return "";
}
var dump_1 = dump$1;
var dumper = {
  dump: dump_1
};
function renamed(from, to) {
  return function() {
    throw new Error("Function yaml." + from + " is removed in js-yaml 4. Use yaml." + to + " instead, which is now safe by default.");
  };
}
var Type = type;
var Schema = schema;
var FAILSAFE_SCHEMA = failsafe;
var JSON_SCHEMA = json;
var CORE_SCHEMA = core;
var DEFAULT_SCHEMA = _default;
var load = loader.load;
var loadAll = loader.loadAll;
var dump = dumper.dump;
var YAMLException = exception;
var types = {
  binary,
  float,
  map,
  null: _null,
  pairs,
  set,
  timestamp,
  bool,
  int,
  merge,
  omap,
  seq,
  str
};
var safeLoad = renamed("safeLoad", "load");
var safeLoadAll = renamed("safeLoadAll", "loadAll");
var safeDump = renamed("safeDump", "dump");
var jsYaml = {
  Type,
  Schema,
  FAILSAFE_SCHEMA,
  JSON_SCHEMA,
  CORE_SCHEMA,
  DEFAULT_SCHEMA,
  load,
  loadAll,
  dump,
  YAMLException,
  types,
  safeLoad,
  safeLoadAll,
  safeDump
};
var js_yaml_default = jsYaml;

// src/adapters/desired/load-yaml.ts
var TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
var FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
var bool11 = new js_yaml_default.Type("tag:yaml.org,2002:bool", {
  kind: "scalar",
  resolve: (data) => data !== null && (TRUE.test(data) || FALSE.test(data)),
  construct: (data) => TRUE.test(data),
  predicate: (v) => typeof v === "boolean"
});
var INT = /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|0|[1-9][0-9_]*)$/;
var int11 = new js_yaml_default.Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (data) => data !== null && INT.test(data) && !/_$/.test(data),
  construct: (data) => {
    const text = data.replace(/_/g, "");
    const sign = text.startsWith("-") ? -1 : 1;
    const digits = text.replace(/^[-+]/, "");
    if (/^0b/.test(digits)) return sign * parseInt(digits.slice(2), 2);
    if (/^0x/.test(digits)) return sign * parseInt(digits.slice(2), 16);
    if (/^0o?[0-7]+$/.test(digits) && digits !== "0")
      return sign * parseInt(digits.replace(/^0o?/, ""), 8);
    return sign * parseInt(digits, 10);
  },
  predicate: (v) => typeof v === "number" && Number.isInteger(v)
});
var FLOAT = /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
var float11 = new js_yaml_default.Type("tag:yaml.org,2002:float", {
  kind: "scalar",
  resolve: (data) => data !== null && FLOAT.test(data),
  construct: (data) => {
    const text = data.replace(/_/g, "");
    if (/nan$/i.test(text)) return NaN;
    if (/inf$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
    return parseFloat(text);
  },
  predicate: (v) => typeof v === "number"
});
var builtin = js_yaml_default.types;
var SCHEMA = js_yaml_default.FAILSAFE_SCHEMA.extend({
  implicit: [builtin.null, bool11, int11, float11, builtin.merge]
});
function splitDocuments(text) {
  const lines = text.split("\n");
  const docs = [];
  let start = 0;
  const flush = (end) => {
    let first = start;
    while (first < end - 1 && !/^\s*[^\s#]/.test(lines[first])) first++;
    let last = end - 1;
    while (last > first && !/\S/.test(lines[last])) last--;
    docs.push({
      text: lines.slice(start, end).join("\n"),
      line: first + 1,
      start: start + 1,
      last: last + 1
    });
  };
  lines.forEach((l, i2) => {
    if (/^---(?:\s|$)/.test(l)) {
      flush(i2);
      lines[i2] = l.slice(3);
      start = i2;
    }
  });
  flush(lines.length);
  return docs;
}
var BOM = /^\uFEFF/;
var BOM_AFTER_BLANKS = /^(\s*)\uFEFF/;
function jsonStream(text) {
  const out = [];
  let i2 = 0;
  let line = 1;
  while (i2 < text.length) {
    const ch = text[i2];
    if (ch === "\n") line++;
    if (/\s/.test(ch) || ch === "\uFEFF") {
      i2++;
      continue;
    }
    if (ch !== "{") return void 0;
    const start = i2;
    const startLine = line;
    let depth = 0;
    let inString = false;
    for (; i2 < text.length; i2++) {
      const c = text[i2];
      if (c === "\n") line++;
      if (inString) {
        if (c === "\\") i2++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) break;
      }
    }
    if (depth !== 0) return void 0;
    try {
      out.push({ value: JSON.parse(text.slice(start, ++i2)), line: startLine });
    } catch {
      return void 0;
    }
  }
  return out;
}
function loadYamlDocuments(text, file, problems) {
  if (/^\uFEFF?\s*\{/.test(text)) {
    const values2 = jsonStream(text);
    if (values2) return values2.filter((d) => d.value !== null);
  }
  const out = [];
  for (const doc of splitDocuments(text.replace(BOM, ""))) {
    try {
      const value = js_yaml_default.load(doc.text.replace(BOM_AFTER_BLANKS, "$1"), {
        schema: SCHEMA,
        filename: file
      });
      if (value !== null && value !== void 0) out.push({ value, line: doc.line });
    } catch (e) {
      const err = e;
      problems.push({
        file,
        // A problem found at the end of the document is reported on its last line.
        ...err.mark && doc.start + err.mark.line <= doc.last ? { line: doc.start + err.mark.line, column: err.mark.column + 1 } : { line: doc.last },
        message: `invalid YAML: ${err.reason ?? "cannot be parsed"}`
      });
    }
  }
  return out;
}

// src/core/compare/kube-object.ts
function isJsonObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function groupOf2(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
function objectKey(o) {
  return `${groupOf2(o.apiVersion)}|${o.kind}|${o.namespace ?? ""}|${o.name}`;
}
function refOf(obj) {
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}
function describeRef(ref) {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}
function jsonEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i2) => jsonEqual(x, b[i2]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
function cloneJson(v) {
  return structuredClone(v);
}

// src/adapters/desired/parse-manifests.ts
function parseManifests(text, file, problems, withLines = true) {
  const out = [];
  for (const doc of loadYamlDocuments(text, file, problems)) {
    const where2 = { file, ...withLines ? { line: doc.line } : {} };
    for (const { value, field } of expandLists(doc.value, "")) {
      const obj = checkObject(value, field, where2, problems);
      if (obj) out.push({ object: obj, source: file, ...where2.line ? { line: where2.line } : {} });
    }
  }
  return out;
}
function expandLists(value, field) {
  if (!isJsonObject(value) || typeof value.kind !== "string" || !value.kind.endsWith("List") || !("items" in value))
    return [{ value, field }];
  const items = value.items ?? [];
  if (!Array.isArray(items)) return [{ value: items, field: `${field}items` }];
  const itemKind = value.kind.slice(0, -"List".length);
  return items.flatMap((item, i2) => {
    const at2 = `${field}items[${i2}].`;
    const typed = isJsonObject(item) && item.apiVersion === void 0 && item.kind === void 0 && itemKind !== "" && typeof value.apiVersion === "string" ? { apiVersion: value.apiVersion, kind: itemKind, ...item } : item;
    return expandLists(typed, at2);
  });
}
function checkObject(v, at2, where2, problems) {
  const fail = (field, message) => {
    const located = field === void 0 ? at2 === "" ? void 0 : at2.slice(0, -1) : at2 + field;
    problems.push({ ...where2, ...located ? { field: located } : {}, message });
    return void 0;
  };
  if (!isJsonObject(v))
    return fail(void 0, "a document must be a Kubernetes object (a mapping)");
  const obj = v;
  if (typeof obj.apiVersion !== "string" || obj.apiVersion === "")
    return fail("apiVersion", "missing or not a string");
  if (typeof obj.kind !== "string" || obj.kind === "")
    return fail("kind", "missing or not a string");
  if (!isJsonObject(obj.metadata)) return fail("metadata", "missing or not a mapping");
  const meta = obj.metadata;
  if (typeof meta.name !== "string" || meta.name === "") {
    return fail(
      "metadata.name",
      `missing (generateName is not supported: a drift check needs a fixed name)`
    );
  }
  if (meta.namespace !== void 0 && typeof meta.namespace !== "string")
    return fail("metadata.namespace", "not a string");
  return v;
}
function throwIfProblems(problems, what) {
  if (problems.length === 0) return;
  throw new RenderError(
    listProblems(
      [...problems].sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0)),
      `in ${what}`
    ),
    "Fix the manifests (each document needs apiVersion, kind and metadata.name)."
  );
}

// src/adapters/desired/render-desired.ts
var KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
function kustomizationIn(dir) {
  const f = KUSTOMIZATION_FILES.find((n) => existsSync(join2(dir, n)));
  return f ? join2(dir, f) : void 0;
}
async function subdirsWithKustomization(dir) {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && kustomizationIn(join2(dir, e.name))).map((e) => e.name).sort();
}
async function detectLayout(path) {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UsageError(
      (say) => `${say.subject("path", path)}: no such file or folder`,
      (say) => `Point ${say.option("path")} at the overlays folder (default: overlays), a folder of manifests or a YAML file.`
    );
  }
  if (info.isFile()) return { kind: "file", file: path };
  const underRegions = await subdirsWithKustomization(join2(path, "regions"));
  if (underRegions.length > 0) {
    return { kind: "overlays", regions: underRegions, regionDir: (r) => join2(path, "regions", r) };
  }
  if (kustomizationIn(path)) return { kind: "kustomization", dir: path };
  const direct2 = await subdirsWithKustomization(path);
  if (direct2.length > 0)
    return { kind: "overlays", regions: direct2, regionDir: (r) => join2(path, r) };
  return { kind: "folder", dir: path };
}
async function yamlFilesUnder(dir) {
  const out = [];
  const walk3 = async (d) => {
    const entries = (await readdir(d, { withFileTypes: true })).sort(
      (a, b) => a.name.localeCompare(b.name)
    );
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = join2(d, e.name);
      if (e.isDirectory()) await walk3(p);
      else if (/\.(ya?ml|json)$/i.test(e.name)) out.push(p);
    }
  };
  await walk3(dir);
  return out;
}
async function renderDesired(layout, region, renderTimeoutMs) {
  const problems = [];
  let objects;
  if (layout.kind === "overlays" || layout.kind === "kustomization") {
    const dir = layout.kind === "overlays" ? layout.regionDir(region) : layout.dir;
    const kfile = kustomizationIn(dir);
    if (!kfile) {
      const known = layout.kind === "overlays" ? layout.regions.join(", ") : "";
      throw new RenderError(
        `no overlay for region ${region} (looked for ${displayPath(dir)}/kustomization.yaml)`,
        known ? `Regions with an overlay: ${known}.` : void 0
      );
    }
    const text = await renderKustomization(dir, renderTimeoutMs);
    objects = parseManifests(text, displayPath(kfile), problems, false);
    throwIfProblems(problems, `the output of kustomize for ${displayPath(dir)}`);
  } else {
    const files = layout.kind === "file" ? [layout.file] : await yamlFilesUnder(layout.dir);
    if (files.length === 0)
      throw new UsageError(
        (say) => `${say.subject("path", layout.kind === "folder" ? layout.dir : "")}: no .yaml, .yml or .json files found`
      );
    objects = [];
    for (const f of files)
      objects.push(...parseManifests(await readFile(f, "utf8"), displayPath(f), problems));
    throwIfProblems(
      problems,
      layout.kind === "file" ? displayPath(layout.file) : `the manifests under ${displayPath(layout.dir)}`
    );
  }
  return objects;
}

// src/adapters/fs/read-ignore-file.ts
import { readFile as readFile2 } from "node:fs/promises";

// src/core/ignore/parse-ignore-file.ts
var import_yaml2 = __toESM(require_dist(), 1);
var RULE_KEYS = [
  "description",
  "group",
  "kind",
  "namespace",
  "name",
  "regions",
  "jsonPointers",
  "managedFieldsManagers",
  "findings"
];
var TOP_KEYS = ["ignoreDifferences", "handManagers", "fieldManager"];
var HIDE_KEYS = ["jsonPointers", "managedFieldsManagers", "findings"];
var FINDING_TYPES = ["missing", "changed", "extra"];
function parseIgnoreFile(text, file) {
  const lines = new import_yaml2.LineCounter();
  const doc = (0, import_yaml2.parseDocument)(text, { lineCounter: lines, prettyErrors: false });
  const problems = [];
  const at2 = (node, field, message) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : void 0;
    const p = { file, message };
    if (pos) {
      p.line = pos.line;
      p.column = pos.col;
    }
    if (field) p.field = field;
    problems.push(p);
  };
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      message: `invalid YAML: ${e.message.split("\n")[0]}`
    });
  }
  if (problems.length > 0) throw new IgnoreFileError(problems);
  const result = { rules: [] };
  const root = doc.contents;
  if (root === null || (0, import_yaml2.isScalar)(root) && root.value === null) return result;
  if (!(0, import_yaml2.isMap)(root))
    throw new IgnoreFileError([
      { file, line: 1, message: "expected a mapping with `ignoreDifferences:`" }
    ]);
  const topKeys = root.items.map((pair) => (0, import_yaml2.isScalar)(pair.key) ? String(pair.key.value) : "");
  if (topKeys.includes("app") && topKeys.includes("regions") && !topKeys.includes("ignoreDifferences")) {
    throw new IgnoreFileError(
      [
        {
          file,
          line: 1,
          message: "this is a generator config (it has `app:` and `regions:`), not ignore rules (`ignoreDifferences:`)"
        }
      ],
      (say) => `Give the ignore rules to ${say.option("ignore-file")} (default .mr-drift-ignore.yaml); the generator config goes to \`mr-drift generate --config\`.`
    );
  }
  const stringList = (node, field) => {
    if (!(0, import_yaml2.isSeq)(node) || node.items.some((i2) => !(0, import_yaml2.isScalar)(i2) || typeof i2.value !== "string")) {
      at2(node, field, "expected a list of strings");
      return void 0;
    }
    return node.items.map((i2) => i2.value);
  };
  const string = (node, field) => {
    if (!(0, import_yaml2.isScalar)(node) || typeof node.value !== "string") {
      at2(node, field, "expected a string");
      return void 0;
    }
    return node.value;
  };
  for (const pair of root.items) {
    const key = (0, import_yaml2.isScalar)(pair.key) ? String(pair.key.value) : "";
    if (!TOP_KEYS.includes(key)) {
      at2(pair.key, key, unknownFieldMessage(key, TOP_KEYS));
      continue;
    }
    if (key === "fieldManager") {
      const v = string(pair.value, key);
      if (v !== void 0) result.fieldManager = v;
    } else if (key === "handManagers") {
      const v = stringList(pair.value, key);
      if (v) result.handManagers = v;
    } else {
      if (!(0, import_yaml2.isSeq)(pair.value)) {
        at2(pair.value, key, "expected a list of rules");
        continue;
      }
      pair.value.items.forEach((item, i2) => {
        const rule = parseRule(item, `ignoreDifferences[${i2}]`, i2 + 1);
        if (rule) result.rules.push(rule);
      });
    }
  }
  if (problems.length > 0) throw new IgnoreFileError(byPosition(problems));
  return result;
  function parseRule(node, where2, index2) {
    if (!(0, import_yaml2.isMap)(node)) {
      at2(node, where2, "expected a mapping (group, kind, name, jsonPointers ...)");
      return void 0;
    }
    const rule = { index: index2 };
    for (const pair of node.items) {
      const key = (0, import_yaml2.isScalar)(pair.key) ? String(pair.key.value) : "";
      const field = `${where2}.${key}`;
      switch (key) {
        case "description":
        case "group":
        case "kind":
        case "namespace":
        case "name": {
          const v = string(pair.value, field);
          if (v !== void 0) rule[key] = v;
          break;
        }
        case "regions":
        case "managedFieldsManagers": {
          const v = stringList(pair.value, field);
          if (v) rule[key] = v;
          break;
        }
        case "jsonPointers": {
          const v = stringList(pair.value, field);
          if (!v) break;
          const bad = v.find((p) => !p.startsWith("/"));
          if (bad !== void 0)
            at2(
              pair.value,
              field,
              `"${bad}" is not a JSON pointer; start it with / (e.g. /spec/replicas)`
            );
          else rule.jsonPointers = v;
          break;
        }
        case "findings": {
          const v = stringList(pair.value, field);
          if (!v) break;
          const bad = v.find((t) => !FINDING_TYPES.includes(t));
          if (bad !== void 0)
            at2(
              pair.value,
              field,
              `"${bad}" is not a finding type; use missing, changed or extra`
            );
          else rule.findings = v;
          break;
        }
        default:
          at2(pair.key, field, unknownFieldMessage(key, RULE_KEYS));
      }
    }
    const says = node.items.some((p) => (0, import_yaml2.isScalar)(p.key) && HIDE_KEYS.includes(String(p.key.value)));
    if (!says) {
      at2(
        node,
        where2,
        "a rule must say what to hide: jsonPointers, managedFieldsManagers or findings"
      );
      return void 0;
    }
    return rule;
  }
}
function byPosition(problems) {
  return [...problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
  );
}

// src/adapters/fs/read-ignore-file.ts
var DEFAULT_IGNORE_FILE = ".mr-drift-ignore.yaml";
async function readIgnoreFile(file) {
  const path = file ?? DEFAULT_IGNORE_FILE;
  let text;
  try {
    text = await readFile2(path, "utf8");
  } catch (e) {
    if (file === void 0 && e.code === "ENOENT") return { rules: [] };
    throw new UsageError(
      (say) => `${say.subject("ignore-file", path)}: cannot read it (${e.code ?? e.message})`,
      (say) => `Check the path, or leave ${say.option("ignore-file")} out to use .mr-drift-ignore.yaml when present.`
    );
  }
  return parseIgnoreFile(text, path);
}

// src/adapters/desired/read-tree-deployments.ts
import { readdir as readdir2, readFile as readFile3 } from "node:fs/promises";
import { relative, resolve as resolve2, sep } from "node:path";

// src/core/engine/tree-deployments.ts
var import_yaml3 = __toESM(require_dist(), 1);

// src/core/compare/field-path.ts
var KEY_DEFAULTS = { protocol: "TCP" };
function escapeToken(s) {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}
function formatSegment(seg) {
  if ("field" in seg) return escapeToken(seg.field);
  if ("index" in seg) return String(seg.index);
  return Object.keys(seg.key).sort().map((k) => {
    const v = seg.key[k];
    return `${escapeToken(k)}=${escapeToken(typeof v === "string" ? v : JSON.stringify(v))}`;
  }).join(",");
}
function formatPath2(path) {
  return path.map((s) => `/${formatSegment(s)}`).join("");
}
function segmentEqual(a, b) {
  if ("field" in a) return "field" in b && a.field === b.field;
  if ("index" in a) return "index" in b && a.index === b.index;
  return "key" in b && jsonEqual(a.key, b.key);
}
function pathStartsWith(path, prefix) {
  if (prefix.length > path.length) return false;
  return prefix.every((seg, i2) => segmentEqual(seg, path[i2]));
}
function keySegmentFor(item, keyNames) {
  if (!isJsonObject(item)) return void 0;
  const key = {};
  const sorted = keyNames.every((n, i2) => i2 === 0 || keyNames[i2 - 1] <= n) ? keyNames : [...keyNames].sort();
  for (const name of sorted) {
    const v = item[name] ?? KEY_DEFAULTS[name];
    if (v === void 0) return void 0;
    key[name] = v;
  }
  return { key };
}
function keyText(seg) {
  return JSON.stringify(
    seg.key,
    (_k, v) => isJsonObject(v) ? Object.fromEntries(
      Object.keys(v).sort().map((k) => [k, v[k]])
    ) : v
  );
}
function itemMatchesKey(item, key) {
  if (!isJsonObject(item)) return false;
  return Object.keys(key).every((k) => jsonEqual(item[k] ?? KEY_DEFAULTS[k], key[k]));
}
function parsePath(pointer) {
  if (pointer === "" || pointer === "/") return [];
  const unescape = (s) => s.replace(/~1/g, "/").replace(/~0/g, "~");
  return pointer.slice(1).split("/").map((raw) => {
    if (/^\d+$/.test(raw)) return { index: Number(raw) };
    if (/^[A-Za-z][\w.-]*=/.test(raw)) {
      const key = {};
      for (const part of raw.split(",")) {
        const eq = part.indexOf("=");
        const name = unescape(part.slice(0, eq));
        const text = unescape(part.slice(eq + 1));
        key[name] = /^-?\d+$/.test(text) ? Number(text) : text;
      }
      return { key };
    }
    return { field: unescape(raw) };
  });
}

// src/core/compare/managed-fields.ts
function parseFieldsV1(raw) {
  const node = { self: false, children: [] };
  for (const [k, v] of Object.entries(raw)) {
    if (k === ".") {
      node.self = true;
      continue;
    }
    const child = isJsonObject(v) ? parseFieldsV1(v) : { self: false, children: [] };
    const colon = k.indexOf(":");
    const prefix = k.slice(0, colon);
    const rest = k.slice(colon + 1);
    try {
      if (prefix === "f") node.children.push({ kind: "field", name: rest, node: child });
      else if (prefix === "k") {
        const key = JSON.parse(rest);
        if (isJsonObject(key)) node.children.push({ kind: "key", key, node: child });
      } else if (prefix === "v")
        node.children.push({ kind: "value", value: JSON.parse(rest), node: child });
      else if (prefix === "i")
        node.children.push({ kind: "index", index: Number(rest), node: child });
    } catch {
    }
  }
  return node;
}
function isLeaf(node) {
  return node.children.length === 0;
}
function managedFieldsOf(obj) {
  return parseManagedFields(
    obj.metadata.managedFields
  );
}
var parsedCache = /* @__PURE__ */ new WeakMap();
function parseManagedFields(entries) {
  if (!entries) return [];
  const cached2 = parsedCache.get(entries);
  if (cached2) return cached2;
  const out = [];
  parsedCache.set(entries, out);
  for (const e of entries) {
    if (!e.fieldsV1 || e.fieldsType && e.fieldsType !== "FieldsV1") continue;
    const parsed = {
      manager: e.manager ?? "",
      operation: e.operation ?? "",
      root: parseFieldsV1(e.fieldsV1)
    };
    if (e.apiVersion) parsed.apiVersion = e.apiVersion;
    if (e.time) parsed.time = e.time;
    if (e.subresource) parsed.subresource = e.subresource;
    out.push(parsed);
  }
  return out;
}
function childFor(node, seg, liveList) {
  if ("field" in seg) {
    return node.children.find((c) => c.kind === "field" && c.name === seg.field)?.node;
  }
  if ("key" in seg) {
    return node.children.find((c) => c.kind === "key" && jsonEqual(c.key, seg.key))?.node;
  }
  const byIndex = node.children.find((c) => c.kind === "index" && c.index === seg.index);
  if (byIndex) return byIndex.node;
  const item = Array.isArray(liveList) ? liveList[seg.index] : void 0;
  if (item === void 0) return void 0;
  for (const c of node.children) {
    if (c.kind === "key" && itemMatchesKey(item, c.key)) return c.node;
    if (c.kind === "value" && jsonEqual(c.value, item)) return c.node;
  }
  return void 0;
}
function liveStep(value, seg) {
  if (value === void 0 || value === null) return void 0;
  if ("field" in seg) return isJsonObject(value) ? value[seg.field] : void 0;
  if (!Array.isArray(value)) return void 0;
  if ("index" in seg) return value[seg.index];
  return value.find((i2) => itemMatchesKey(i2, seg.key));
}
function entryOwns(entry, path, live) {
  let node = entry.root;
  let value = live;
  for (const seg of path) {
    if (node !== entry.root && isLeaf(node)) return true;
    node = childFor(node, seg, value);
    if (!node) return false;
    value = liveStep(value, seg);
  }
  return node.self || isLeaf(node);
}
function keyNamesAt(entries, path, live) {
  for (const entry of entries) {
    let node = entry.root;
    let value = live;
    for (const seg of path) {
      node = childFor(node, seg, value);
      if (!node) break;
      value = liveStep(value, seg);
    }
    const keyed = node?.children.find((c) => c.kind === "key");
    if (keyed && keyed.kind === "key") return Object.keys(keyed.key).sort();
  }
  return void 0;
}

// src/core/normalize/server-fields.ts
var SERVER_METADATA = [
  "managedFields",
  "resourceVersion",
  "uid",
  "generation",
  "creationTimestamp",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds"
];
var SERVER_ANNOTATIONS = [
  // kubectl's client-side apply memory; holds a copy of the whole manifest (Secrets too).
  "kubectl.kubernetes.io/last-applied-configuration"
];
var SERVER_LABELS = ["kubernetes.io/metadata.name"];
function isServerManagedPath(path) {
  const [first, second, third] = path;
  if (!first || !("field" in first)) return false;
  if (first.field === "status") return true;
  if (first.field !== "metadata" || !second || !("field" in second)) return false;
  if (SERVER_METADATA.includes(second.field)) return true;
  if (third === void 0 || !("field" in third)) return false;
  return second.field === "annotations" && SERVER_ANNOTATIONS.includes(third.field) || second.field === "labels" && SERVER_LABELS.includes(third.field);
}
function stripServerFields(obj) {
  const copy = { ...obj };
  delete copy.status;
  const meta = { ...obj.metadata };
  for (const k of SERVER_METADATA) delete meta[k];
  if (isJsonObject(meta.annotations)) {
    const annotations = { ...meta.annotations };
    for (const a of SERVER_ANNOTATIONS) delete annotations[a];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
    else meta.annotations = annotations;
  }
  copy.metadata = meta;
  return copy;
}

// src/core/jq/jq-values.ts
var JqRuntimeError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "JqRuntimeError";
  }
};
function typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}
function describeValue(v) {
  const text = toJson(v);
  return `${typeOf(v)} (${text.length > 30 ? `${text.slice(0, 27)}...` : text})`;
}
function isObject2(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
function sortedKeys(o) {
  return Object.keys(o).sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
}
function toJson(v) {
  if (Array.isArray(v)) return `[${v.map(toJson).join(",")}]`;
  if (isObject2(v))
    return `{${sortedKeys(v).map((k) => `${JSON.stringify(k)}:${toJson(v[k])}`).join(",")}}`;
  return JSON.stringify(v);
}
var TYPE_RANK = {
  null: 0,
  boolean: 1,
  number: 3,
  string: 4,
  array: 5,
  object: 6
};
function compareValues(a, b) {
  const ta = typeOf(a);
  const tb = typeOf(b);
  const ra = TYPE_RANK[ta] + (a === true ? 1 : 0);
  const rb = TYPE_RANK[tb] + (b === true ? 1 : 0);
  if (ra !== rb) return ra - rb;
  if (typeof a === "number") return a - b;
  if (typeof a === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a)) {
    const bb = b;
    for (let i2 = 0; i2 < Math.min(a.length, bb.length); i2++) {
      const c = compareValues(a[i2], bb[i2]);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  if (isObject2(a) && isObject2(b)) {
    const c = compareValues(sortedKeys(a), sortedKeys(b));
    if (c !== 0) return c;
    for (const k of sortedKeys(a)) {
      const d = compareValues(a[k], b[k]);
      if (d !== 0) return d;
    }
  }
  return 0;
}
var truthy = (v) => v !== null && v !== false;
function equal(a, b) {
  return compareValues(a, b) === 0;
}
function compareBy(op, l, r) {
  const c = compareValues(l, r);
  switch (op) {
    case "==":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case ">=":
      return c >= 0;
  }
}
function arith(op, l, r) {
  const bad = () => {
    const verb = { "+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "modulo" }[op];
    throw new JqRuntimeError(`cannot ${verb}: ${describeValue(l)} and ${describeValue(r)}`);
  };
  if (typeof l === "number" && typeof r === "number") {
    switch (op) {
      case "+":
        return l + r;
      case "-":
        return l - r;
      case "*":
        return l * r;
      case "/":
        if (r === 0) bad();
        return l / r;
      case "%": {
        const a = Math.trunc(l);
        const b = Math.trunc(r);
        if (b === 0) bad();
        return a % b;
      }
    }
  }
  if (op === "+") {
    if (l === null) return r;
    if (r === null) return l;
    if (typeof l === "string" && typeof r === "string") return l + r;
    if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
    if (isObject2(l) && isObject2(r)) return { ...l, ...r };
    return bad();
  }
  if (op === "-" && Array.isArray(l) && Array.isArray(r))
    return l.filter((x) => !r.some((y) => equal(x, y)));
  if (op === "/" && typeof l === "string" && typeof r === "string") return splitString(l, r);
  return bad();
}
function splitString(s, sep2) {
  if (s === "") return [];
  return sep2 === "" ? [...s] : s.split(sep2);
}
function contains(a, b) {
  if (typeOf(a) !== typeOf(b))
    throw new JqRuntimeError(
      `cannot check whether ${describeValue(a)} contains ${describeValue(b)}`
    );
  if (typeof a === "string") return a.includes(b);
  if (Array.isArray(a)) return b.every((x) => a.some((y) => safeContains(y, x)));
  if (isObject2(a))
    return Object.entries(b).every(
      ([k, v]) => Object.hasOwn(a, k) && contains(a[k], v)
    );
  return equal(a, b);
}
function safeContains(a, b) {
  return typeOf(a) === typeOf(b) && contains(a, b);
}
function needString(v, what) {
  if (typeof v !== "string")
    throw new JqRuntimeError(`${what} cannot be applied to: ${describeValue(v)}`);
  return v;
}
function regexOf(pattern, flags) {
  const src = needString(pattern, "test");
  const f = flags === null ? "" : needString(flags, "test");
  if ([...f].some((c) => !"gim".includes(c)))
    throw new JqRuntimeError(`unsupported regular expression flag: ${JSON.stringify(f)}`);
  let js = "u" + (f.includes("i") ? "i" : "") + (f.includes("m") ? "s" : "");
  let text = src;
  const inline = /^\(\?([is]+)\)/.exec(text);
  if (inline) {
    for (const c of inline[1]) if (!js.includes(c)) js += c;
    text = text.slice(inline[0].length);
  }
  try {
    return new RegExp(text, js);
  } catch (e) {
    throw new JqRuntimeError(`invalid regular expression ${JSON.stringify(src)}: ${String(e)}`);
  }
}
function length(v) {
  if (v === null) return 0;
  if (typeof v === "string") return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObject2(v)) return Object.keys(v).length;
  if (typeof v === "number") return Math.abs(v);
  throw new JqRuntimeError(`length cannot be applied to: ${describeValue(v)}`);
}
function keysOf(v) {
  if (isObject2(v)) return sortedKeys(v);
  if (Array.isArray(v)) return v.map((_, i2) => i2);
  throw new JqRuntimeError(`keys cannot be applied to: ${describeValue(v)}`);
}
function has(v, k) {
  if (v === null) return false;
  if (isObject2(v) && typeof k === "string") return Object.hasOwn(v, k);
  if (Array.isArray(v) && typeof k === "number") return k >= 0 && k < v.length;
  throw new JqRuntimeError(`has(${toJson(k)}) cannot be applied to: ${describeValue(v)}`);
}
function toEntries(v) {
  if (!isObject2(v))
    throw new JqRuntimeError(`to_entries cannot be applied to: ${describeValue(v)}`);
  return sortedKeys(v).map((key) => ({ key, value: v[key] }));
}
function fromEntries(v) {
  if (!Array.isArray(v))
    throw new JqRuntimeError(`from_entries cannot be applied to: ${describeValue(v)}`);
  const out = {};
  for (const e of v) {
    if (!isObject2(e))
      throw new JqRuntimeError(`from_entries cannot be applied to: ${describeValue(e)}`);
    const key = ["key", "Key", "name", "Name"].map((n) => e[n]).find((x) => x != null && x !== false);
    if (typeof key !== "string")
      throw new JqRuntimeError("from_entries: expected a string for object key");
    const value = ["value", "Value"].find((n) => Object.hasOwn(e, n));
    out[key] = value === void 0 ? null : e[value];
  }
  return out;
}

// src/core/jq/jq-delete.ts
function deletePaths(doc, paths) {
  if (paths.length === 0) return doc;
  let marked = doc;
  for (const p of paths) marked = mark(marked, p);
  return unmark(marked) ?? null;
}
var GONE = /* @__PURE__ */ Symbol("deleted");
function clampIndex(i2, min, max) {
  const j = i2 < 0 ? i2 + max : i2;
  return j < min ? min : j > max ? max : j;
}
function mark(v, path) {
  if (path.length === 0) return GONE;
  if (v === GONE) return v;
  const [el, ...rest] = path;
  if (typeof el === "string") {
    if (v !== null && (typeof v !== "object" || Array.isArray(v)))
      throw new JqRuntimeError(`expected an object but got: ${typeOf(v)}`);
    const obj = v ?? {};
    if (!Object.hasOwn(obj, el)) return obj;
    return { ...obj, [el]: mark(obj[el], rest) };
  }
  if (v !== null && !Array.isArray(v))
    throw new JqRuntimeError(`expected an array but got: ${typeOf(v)}`);
  const arr = v ?? [];
  if (typeof el === "number") {
    const j = clampIndex(Math.trunc(el), -1, arr.length);
    if (j < 0 || j >= arr.length) return arr;
    const copy = [...arr];
    copy[j] = mark(arr[j], rest);
    return copy;
  }
  const start = el.start === null ? 0 : clampIndex(Math.trunc(el.start), 0, arr.length);
  const end = el.end === null ? arr.length : clampIndex(Math.trunc(el.end), start, arr.length);
  if (start === end) return arr;
  const inner = mark(arr.slice(start, end), rest);
  if (inner === GONE) {
    const gone = arr.slice(start, end).map(() => GONE);
    return [...arr.slice(0, start), ...gone, ...arr.slice(end)];
  }
  if (!Array.isArray(inner)) throw new JqRuntimeError("expected an array");
  return [...arr.slice(0, start), ...inner, ...arr.slice(end)];
}
function unmark(v) {
  if (v === GONE) return void 0;
  if (Array.isArray(v)) return v.flatMap((x) => x === GONE ? [] : [unmark(x)]);
  if (v !== null && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (x !== GONE) out[k] = unmark(x);
    return out;
  }
  return v;
}

// src/core/jq/jq-eval.ts
function compileDeletion(expression) {
  const node = parseJq(expression);
  return {
    expression,
    apply: (doc) => deletePaths(doc, collectPaths(node, doc))
  };
}
function collectPaths(node, doc) {
  const paths = [];
  for (const [value, path] of evaluate(node, doc, [], true)) {
    if (path === null) throw new JqRuntimeError(`invalid path against: ${describeValue(value)}`);
    paths.push(path);
  }
  return paths;
}
var extend3 = (path, el) => path === null ? null : [...path, el];
function* evaluate(node, input, path, track) {
  const sub = (n, v, p) => evaluate(n, v, p, track);
  switch (node.t) {
    case "identity":
      yield [input, path];
      return;
    case "recurse-all":
      yield* recurse(input, path, (v, p) => tryIterate(v, p, track));
      return;
    case "literal":
      yield [node.value, null];
      return;
    case "index":
      for (const [target, tp] of sub(node.target, input, path))
        for (const key of values(node.key, input))
          yield* optional(node.optional, () => [index(target, tp, key, track)]);
      return;
    case "slice":
      for (const [target, tp] of sub(node.target, input, path))
        for (const to of node.to ? values(node.to, input) : [null])
          for (const from of node.from ? values(node.from, input) : [null])
            yield* optional(node.optional, () => [slice(target, tp, from, to, track)]);
      return;
    case "iterate":
      for (const [target, tp] of sub(node.target, input, path))
        yield* optional(node.optional, () => iterate(target, tp, track));
      return;
    case "try":
      try {
        for (const out of sub(node.body, input, path)) yield out;
      } catch (e) {
        if (!(e instanceof JqRuntimeError)) throw e;
        if (node.catch) yield* evaluate(node.catch, e.message, null, false);
      }
      return;
    case "pipe":
      for (const [v, p] of sub(node.left, input, path)) yield* sub(node.right, v, p);
      return;
    case "comma":
      yield* sub(node.left, input, path);
      yield* sub(node.right, input, path);
      return;
    case "alt": {
      let any = false;
      try {
        for (const out of sub(node.left, input, path)) {
          if (truthy(out[0])) {
            any = true;
            yield out;
          }
        }
      } catch (e) {
        if (!(e instanceof JqRuntimeError)) throw e;
      }
      if (!any) yield* sub(node.right, input, path);
      return;
    }
    case "and":
    case "or":
      for (const l of values(node.left, input)) {
        if (node.t === "and" ? !truthy(l) : truthy(l)) {
          yield [node.t === "or", null];
          continue;
        }
        for (const r of values(node.right, input)) yield [truthy(r), null];
      }
      return;
    case "compare":
      for (const r of values(node.right, input))
        for (const l of values(node.left, input)) yield [compareBy(node.op, l, r), null];
      return;
    case "arith":
      for (const r of values(node.right, input))
        for (const l of values(node.left, input)) yield [arith(node.op, l, r), null];
      return;
    case "negate":
      for (const v of values(node.body, input)) {
        if (typeof v !== "number") throw new JqRuntimeError(`cannot negate: ${describeValue(v)}`);
        yield [-v, null];
      }
      return;
    case "array":
      yield [node.body ? values(node.body, input) : [], null];
      return;
    case "if":
      yield* evaluateIf(node.branches, node.else, input, path, track);
      return;
    case "call":
      yield* call(node.name, node.args, input, path, track);
      return;
  }
}
function* optional(isOptional, run) {
  if (!isOptional) {
    yield* run();
    return;
  }
  try {
    for (const out of run()) yield out;
  } catch (e) {
    if (!(e instanceof JqRuntimeError)) throw e;
  }
}
function* iterateValues(input) {
  for (const [v] of iterate(input, null)) yield v;
}
function quantify(name, items, test) {
  const any = name === "any";
  for (const item of items) for (const r of test(item)) if (truthy(r) === any) return any;
  return !any;
}
function values(node, input) {
  return [...evaluate(node, input, null, false)].map(([v]) => v);
}
function* lazyValues(node, input) {
  for (const [v] of evaluate(node, input, null, false)) yield v;
}
function* evaluateIf(branches, otherwise, input, path, track) {
  const [first, ...rest] = branches;
  if (!first) {
    yield* otherwise ? evaluate(otherwise, input, path, track) : [[input, path]];
    return;
  }
  for (const c of values(first.cond, input)) {
    if (truthy(c)) yield* evaluate(first.then, input, path, track);
    else yield* evaluateIf(rest, otherwise, input, path, track);
  }
}
function* recurse(input, path, next) {
  yield [input, path];
  for (const [v, p] of next(input, path)) yield* recurse(v, p, next);
}
function* tryIterate(v, p, track) {
  try {
    for (const out of iterate(v, p, track)) yield out;
  } catch (e) {
    if (!(e instanceof JqRuntimeError)) throw e;
  }
}
function noPath(target, track, path) {
  if (track && path === null)
    throw new JqRuntimeError(`invalid path against: ${describeValue(target)}`);
}
function* iterate(target, path, track = false) {
  noPath(target, track, path);
  if (Array.isArray(target)) {
    for (let i2 = 0; i2 < target.length; i2++) yield [target[i2], extend3(path, i2)];
    return;
  }
  if (isObject2(target)) {
    for (const k of sortedKeys(target)) yield [target[k], extend3(path, k)];
    return;
  }
  throw new JqRuntimeError(`cannot iterate over: ${describeValue(target)}`);
}
function index(target, path, key, track = false) {
  noPath(target, track, path);
  if (typeof key === "string") {
    if (target === null) return [null, extend3(path, key)];
    if (!isObject2(target))
      throw new JqRuntimeError(`expected an object but got: ${describeValue(target)}`);
    return [Object.hasOwn(target, key) ? target[key] : null, extend3(path, key)];
  }
  if (typeof key === "number") {
    if (target === null) return [null, extend3(path, key)];
    if (!Array.isArray(target))
      throw new JqRuntimeError(`expected an array but got: ${describeValue(target)}`);
    const i2 = Math.trunc(key);
    const at2 = i2 < 0 ? target.length + i2 : i2;
    return [target[at2] ?? null, extend3(path, key)];
  }
  if (isObject2(key) && ("start" in key || "end" in key)) {
    const s = key.start ?? null;
    const e = key.end ?? null;
    return slice(target, path, s, e, track);
  }
  throw new JqRuntimeError(
    `expected a string or a number as an index but got: ${describeValue(key)}`
  );
}
function sliceBounds(length2, from, to) {
  const clamp = (v, dflt) => {
    if (v === null) return dflt;
    if (typeof v !== "number")
      throw new JqRuntimeError(`expected a number for slicing but got: ${describeValue(v)}`);
    const i2 = Math.trunc(v);
    return Math.min(length2, Math.max(0, i2 < 0 ? length2 + i2 : i2));
  };
  const s = clamp(from, 0);
  const e = clamp(to, length2);
  return [s, Math.max(s, e)];
}
function slice(target, path, from, to, track = false) {
  noPath(target, track, path);
  const el = (s, e) => ({ start: s, end: e });
  if (target === null)
    return [
      null,
      extend3(path, {
        start: typeof from === "number" ? from : null,
        end: typeof to === "number" ? to : null
      })
    ];
  if (Array.isArray(target)) {
    const [s, e] = sliceBounds(target.length, from, to);
    return [target.slice(s, e), extend3(path, el(s, e))];
  }
  if (typeof target === "string") {
    const chars = [...target];
    const [s, e] = sliceBounds(chars.length, from, to);
    return [chars.slice(s, e).join(""), extend3(path, el(s, e))];
  }
  throw new JqRuntimeError(`cannot slice: ${describeValue(target)}`);
}
function* call(name, args, input, path, track) {
  const arg = (i2) => args[i2];
  const value = (v) => [v, null];
  const ofType = (t) => typeOf(input) === t ? [[input, path]] : [];
  switch (`${name}/${args.length}`) {
    case "empty/0":
      return;
    case "error/0":
      throw new JqRuntimeError(typeof input === "string" ? input : toJson(input));
    case "error/1":
      for (const m of values(arg(0), input))
        throw new JqRuntimeError(typeof m === "string" ? m : toJson(m));
      return;
    case "not/0":
      yield value(!truthy(input));
      return;
    case "select/1":
      for (const c of values(arg(0), input)) if (truthy(c)) yield [input, path];
      return;
    case "recurse/0":
      yield* recurse(input, path, (v, p) => tryIterate(v, p, track));
      return;
    case "recurse/1":
      yield* recurse(input, path, (v, p) => evaluate(arg(0), v, p, track));
      return;
    case "first/0":
      yield index(input, path, 0, track);
      return;
    case "last/0":
      yield index(input, path, -1, track);
      return;
    case "first/1":
      for (const out of evaluate(arg(0), input, path, track)) {
        yield out;
        return;
      }
      return;
    case "limit/2":
      for (const n of values(arg(0), input)) {
        if (typeof n !== "number") throw new JqRuntimeError(`limit: expected a number`);
        if (n <= 0) continue;
        let taken = 0;
        for (const out of evaluate(arg(1), input, path, track)) {
          yield out;
          if (++taken >= n) break;
        }
      }
      return;
    case "getpath/1":
      for (const p of values(arg(0), input)) {
        if (!Array.isArray(p))
          throw new JqRuntimeError(`getpath: expected an array but got: ${describeValue(p)}`);
        let cur = [input, path];
        try {
          for (const el of p) cur = index(cur[0], cur[1], el, track);
        } catch (e) {
          if (!(e instanceof JqRuntimeError)) throw e;
          throw new JqRuntimeError(
            `getpath(${toJson(p)}) cannot be applied to: ${describeValue(input)}`
          );
        }
        yield cur;
      }
      return;
    case "values/0":
      if (input !== null) yield [input, path];
      return;
    case "nulls/0":
      yield* ofType("null");
      return;
    case "booleans/0":
      yield* ofType("boolean");
      return;
    case "numbers/0":
      yield* ofType("number");
      return;
    case "strings/0":
      yield* ofType("string");
      return;
    case "arrays/0":
      yield* ofType("array");
      return;
    case "objects/0":
      yield* ofType("object");
      return;
    case "iterables/0":
      if (Array.isArray(input) || isObject2(input)) yield [input, path];
      return;
    case "scalars/0":
      if (!Array.isArray(input) && !isObject2(input)) yield [input, path];
      return;
    case "length/0":
      yield value(length(input));
      return;
    case "type/0":
      yield value(typeOf(input));
      return;
    case "keys/0":
      yield value(keysOf(input));
      return;
    case "has/1":
      for (const k of values(arg(0), input)) yield value(has(input, k));
      return;
    case "in/1":
      for (const o of values(arg(0), input)) yield value(has(o, input));
      return;
    case "contains/1":
      for (const b of values(arg(0), input)) yield value(contains(input, b));
      return;
    case "inside/1":
      for (const a of values(arg(0), input)) yield value(contains(a, input));
      return;
    case "startswith/1":
    case "endswith/1":
      for (const s of values(arg(0), input)) {
        if (typeof input !== "string" || typeof s !== "string")
          throw new JqRuntimeError(
            `${name}(${toJson(s)}) cannot be applied to: ${describeValue(input)}`
          );
        yield value(name === "startswith" ? input.startsWith(s) : input.endsWith(s));
      }
      return;
    case "ltrimstr/1":
    case "rtrimstr/1":
      for (const s of values(arg(0), input)) {
        if (typeof input !== "string" || typeof s !== "string") yield value(input);
        else if (name === "ltrimstr" && input.startsWith(s)) yield value(input.slice(s.length));
        else if (name === "rtrimstr" && s !== "" && input.endsWith(s))
          yield value(input.slice(0, input.length - s.length));
        else yield value(input);
      }
      return;
    case "test/1":
      for (const re of values(arg(0), input))
        yield value(regexOf(re, null).test(needString(input, "test")));
      return;
    case "test/2":
      for (const flags of values(arg(1), input))
        for (const re of values(arg(0), input))
          yield value(regexOf(re, flags).test(needString(input, "test")));
      return;
    case "ascii_downcase/0":
      yield value(needString(input, name).replace(/[A-Z]/g, (c) => c.toLowerCase()));
      return;
    case "ascii_upcase/0":
      yield value(needString(input, name).replace(/[a-z]/g, (c) => c.toUpperCase()));
      return;
    case "tostring/0":
      yield value(typeof input === "string" ? input : toJson(input));
      return;
    case "tojson/0":
      yield value(toJson(input));
      return;
    case "tonumber/0": {
      if (typeof input === "number") yield value(input);
      else {
        const s = needString(input, name);
        const n = Number(s);
        if (s.trim() === "" || Number.isNaN(n))
          throw new JqRuntimeError(`cannot parse ${JSON.stringify(s)} as a number`);
        yield value(n);
      }
      return;
    }
    case "split/1":
      for (const sep2 of values(arg(0), input))
        yield value(splitString(needString(input, name), needString(sep2, name)));
      return;
    case "join/1":
      for (const sep2 of values(arg(0), input)) {
        if (!Array.isArray(input))
          throw new JqRuntimeError(`join cannot be applied to: ${describeValue(input)}`);
        const s = needString(sep2, name);
        yield value(
          input.map((x) => {
            if (x === null) return "";
            if (typeof x === "object")
              throw new JqRuntimeError(`join: cannot join ${describeValue(x)}`);
            return String(x);
          }).join(s)
        );
      }
      return;
    case "map/1":
      yield value([...iterateValues(input)].flatMap((v) => values(arg(0), v)));
      return;
    case "add/0": {
      if (!Array.isArray(input) && !isObject2(input))
        throw new JqRuntimeError(`add cannot be applied to: ${describeValue(input)}`);
      const items = Array.isArray(input) ? input : sortedKeys(input).map((k) => input[k]);
      yield value(items.reduce((acc, x) => arith("+", acc, x), null));
      return;
    }
    // gojq: any(g; y) = isempty(g | select(y)) | not, all(g; y) = isempty(g | select(y | not)):
    // both stop at the first answer, so an error after it is never raised.
    case "any/0":
    case "all/0":
      yield value(quantify(name, iterateValues(input), (v) => [v]));
      return;
    case "any/1":
    case "all/1":
      yield value(quantify(name, iterateValues(input), (v) => lazyValues(arg(0), v)));
      return;
    case "any/2":
    case "all/2":
      yield value(quantify(name, lazyValues(arg(0), input), (v) => lazyValues(arg(1), v)));
      return;
    // IN(s) = any(s == .; .); IN(src; s) = any(src == s; .).
    case "IN/1":
      yield value(quantify("any", lazyValues(arg(0), input), (v) => [equal(v, input)]));
      return;
    case "IN/2": {
      const pairs2 = function* () {
        for (const s of lazyValues(arg(1), input))
          for (const v of lazyValues(arg(0), input)) yield equal(v, s);
      };
      yield value(quantify("any", pairs2(), (v) => [v]));
      return;
    }
    case "isempty/1": {
      let empty = true;
      for (const _ of lazyValues(arg(0), input)) {
        empty = false;
        break;
      }
      yield value(empty);
      return;
    }
    case "to_entries/0":
      yield value(toEntries(input));
      return;
    case "from_entries/0":
      yield value(fromEntries(input));
      return;
    case "with_entries/1": {
      const entries = toEntries(input);
      yield value(fromEntries(entries.flatMap((e) => values(arg(0), e))));
      return;
    }
  }
  throw new JqRuntimeError(`${name}/${args.length} is not defined`);
}

// src/core/engine/argo-glob.ts
var cache = /* @__PURE__ */ new Map();
function argoGlobMatch(pattern, text) {
  let re = cache.get(pattern);
  if (re === void 0) {
    re = compile(pattern);
    cache.set(pattern, re);
  }
  return re !== null && re.test(text);
}
function compile(pattern) {
  let out = "";
  let depth = 0;
  for (let i2 = 0; i2 < pattern.length; i2++) {
    const c = pattern[i2];
    if (c === "\\") {
      const next = pattern[i2 + 1];
      if (next === void 0) return null;
      out += escape(next);
      i2++;
    } else if (c === "*") out += "[\\s\\S]*";
    else if (c === "?") out += "[\\s\\S]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i2 + 1);
      if (end < 0) return null;
      let body = pattern.slice(i2 + 1, end);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      if (body === "") return null;
      out += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i2 = end;
    } else if (c === "{") {
      depth++;
      out += "(?:";
    } else if (c === "}" && depth > 0) {
      depth--;
      out += ")";
    } else if (c === "," && depth > 0) out += "|";
    else out += escape(c);
  }
  if (depth !== 0) return null;
  return new RegExp(`^${out}$`, "u");
}
function escape(c) {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

// src/core/engine/json-pointer-remove.ts
var PointerMissError = class extends Error {
  constructor(pointer) {
    super(`nothing at ${pointer}`);
    this.name = "PointerMissError";
  }
};
var decode = (token) => token.replace(/~1/g, "/").replace(/~0/g, "~");
function position(token) {
  return /^[+-]?[0-9]+$/.test(token) ? Number(token) : NaN;
}
function removePointer(doc, pointer) {
  const tokens2 = pointer.split("/");
  if (tokens2.length < 2) throw new PointerMissError(pointer);
  const path = tokens2.slice(1).map(decode);
  const step = (value, i2) => {
    const token = path[i2];
    const last = i2 === path.length - 1;
    if (Array.isArray(value)) {
      let at2 = position(token);
      if (Number.isNaN(at2) || at2 >= value.length || at2 < -value.length)
        throw new PointerMissError(pointer);
      if (at2 < 0) at2 += value.length;
      if (last) return [...value.slice(0, at2), ...value.slice(at2 + 1)];
      const copy = [...value];
      copy[at2] = step(value[at2], i2 + 1);
      return copy;
    }
    if (!isJsonObject(value) || !Object.hasOwn(value, token)) throw new PointerMissError(pointer);
    if (last) {
      const copy = { ...value };
      delete copy[token];
      return copy;
    }
    const child = value[token];
    if (child === null || typeof child !== "object") throw new PointerMissError(pointer);
    return { ...value, [token]: step(child, i2 + 1) };
  };
  return step(doc, 0);
}

// src/core/engine/ignore-differences.ts
function compileIgnoreRule(rule, label, engine) {
  return {
    rule,
    label,
    ...engine ? { engine } : {},
    jq: (rule.jqPathExpressions ?? []).map(compileDeletion)
  };
}
function groupOfApiVersion(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}
function rulesFor(rules, obj) {
  const group = groupOfApiVersion(obj.apiVersion);
  const ref = refOf(obj);
  return rules.filter(({ rule }) => {
    return argoGlobMatch(rule.group ?? "", group) && argoGlobMatch(rule.kind ?? "", ref.kind) && (!rule.name || rule.name === ref.name) && (!rule.namespace || rule.namespace === (ref.namespace ?? ""));
  });
}
function removeIgnoredFields(obj, rules) {
  let doc = obj;
  for (const r of rules) {
    for (const pointer of r.rule.jsonPointers ?? []) {
      try {
        doc = removePointer(doc, pointer);
      } catch {
      }
    }
    for (const jq of r.jq) {
      try {
        doc = jq.apply(doc);
      } catch {
      }
    }
  }
  return isKubeObject(doc) ? doc : obj;
}
function isKubeObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) && typeof v.apiVersion === "string" && typeof v.kind === "string" && v.metadata !== null && typeof v.metadata === "object";
}
function applyIgnoreDifferences(found, sides, rules, compare) {
  if (found.length === 0 || rules.length === 0) return { kept: [...found], hidden: [] };
  const remaining = (subset) => {
    const removing = subset.filter(
      (r) => (r.rule.jsonPointers?.length ?? 0) > 0 || r.jq.length > 0
    );
    const fields = removing.length === 0 ? found : compare(normalizeSides(sides, (o) => removeIgnoredFields(o, removing)));
    const trusted = subset.flatMap((r) => r.rule.managedFieldsManagers ?? []);
    return new Set(
      fields.filter((f) => !leftToManagers(f, sides.live, trusted)).map((f) => f.path)
    );
  };
  const left = remaining(rules);
  const kept = found.filter((f) => left.has(f.path));
  if (kept.length === found.length) return { kept, hidden: [] };
  const alone = rules.map((r) => remaining([r]));
  const hidden = found.filter((f) => !left.has(f.path)).map((field) => {
    const i2 = alone.findIndex((set2) => !set2.has(field.path));
    return { field, rule: rules[i2 < 0 ? 0 : i2] };
  });
  return { kept, hidden };
}
function normalizeSides(sides, fn) {
  const live = fn(sides.live);
  const out = { desired: fn(sides.desired), live };
  if (sides.predicted) out.predicted = sides.predicted === sides.live ? live : fn(sides.predicted);
  return out;
}
function leftToManagers(field, live, trusted) {
  if (trusted.length === 0 || field.desired === void 0 || field.live === void 0) return false;
  const path = parsePath(field.path);
  const liveS = stripServerFields(live);
  return managedFieldsOf(live).some(
    (e) => trusted.includes(e.manager) && entryOwns(e, path, liveS)
  );
}

// src/core/engine/engine-annotations.ts
var FLUX_SSA = "kustomize.toolkit.fluxcd.io/ssa";
var FLUX_RECONCILE = "kustomize.toolkit.fluxcd.io/reconcile";
var FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune";
var ARGOCD_COMPARE_OPTIONS = "argocd.argoproj.io/compare-options";
var ARGOCD_SYNC_OPTIONS = "argocd.argoproj.io/sync-options";
function stringMap(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
}
function fluxHit(obj, key, value, where2) {
  if (!obj) return void 0;
  for (const as of ["annotation", "label"]) {
    const found = stringMap(as === "label" ? obj.metadata.labels : obj.metadata.annotations)[key];
    if (typeof found === "string" && found !== "" && found.toLowerCase() === value.toLowerCase())
      return { engine: "flux", key, value: found, where: where2, as };
  }
  return void 0;
}
function fluxAny(desired, live, pairs2) {
  for (const [obj, where2] of [
    [desired, "Git"],
    [live, "the cluster"]
  ]) {
    for (const [key, value] of pairs2) {
      const hit2 = fluxHit(obj, key, value, where2);
      if (hit2) return hit2;
    }
  }
  return void 0;
}
function fluxSkipsApply(desired, live) {
  return fluxAny(desired, live, [
    [FLUX_RECONCILE, "disabled"],
    [FLUX_SSA, "Ignore"]
  ]);
}
function fluxCreatesOnly(desired) {
  return fluxAny(desired, void 0, [[FLUX_SSA, "IfNotPresent"]]);
}
function fluxMerges(desired, live) {
  return fluxAny(desired, live, [[FLUX_SSA, "Merge"]]);
}
function fluxKeepsOnPrune(live) {
  return fluxAny(void 0, live, [
    [FLUX_PRUNE, "disabled"],
    [FLUX_RECONCILE, "disabled"],
    [FLUX_SSA, "Ignore"]
  ]);
}
function argoOptions(obj, key) {
  const value = stringMap(obj?.metadata.annotations)[key];
  return typeof value === "string" ? splitArgoOptions(value) : [];
}
function splitArgoOptions(value) {
  return [...new Set(value.split(",").map((s) => s.trim()))].filter((s) => s !== "");
}
function argoOption(obj, key, option, where2) {
  return argoOptions(obj, key).includes(option) ? { engine: "argocd", key, value: option, where: where2, as: "annotation" } : void 0;
}
function settingLabel(hit2) {
  const engine = hit2.engine === "flux" ? "Flux" : "Argo CD";
  if (hit2.where === "the Application")
    return `${engine} Application sync option ${hit2.value} (spec.syncPolicy.syncOptions)`;
  const place2 = hit2.where === "Git" ? "in Git" : "on the live object, not in Git";
  const kind = hit2.as === "label" ? " label" : "";
  return `${engine} ${hit2.key}: ${hit2.value}${kind} (${place2})`;
}

// src/core/engine/tree-deployments.ts
var FLUX_IGNORE_ANNOTATION = "mr-drift.io/ignore-differences";
var isObject3 = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
var str2 = (v) => typeof v === "string" ? v : void 0;
var strings = (v) => Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
function groupOf3(apiVersion) {
  const s = str2(apiVersion) ?? "";
  const slash = s.indexOf("/");
  return slash < 0 ? "" : s.slice(0, slash);
}
var MENTIONS = /argoproj\.io|kustomize\.toolkit\.fluxcd\.io/;
function readTreeDeployments(files) {
  const out = { deployments: [], problems: [], warnings: [] };
  for (const file of files) {
    if (!MENTIONS.test(file.text)) continue;
    const lines = new import_yaml3.LineCounter();
    const docs = (0, import_yaml3.parseAllDocuments)(file.text, { lineCounter: lines });
    if (!Array.isArray(docs)) continue;
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        continue;
      }
      const data = doc.toJS();
      if (!isObject3(data)) continue;
      const group = groupOf3(data.apiVersion);
      if (group === "argoproj.io" && data.kind === "Application")
        readApplication(data, [], doc, lines, file.path, void 0, out);
      else if (group === "argoproj.io" && data.kind === "ApplicationSet")
        readApplicationSet(data, doc, lines, file.path, out);
      else if (group === "kustomize.toolkit.fluxcd.io" && data.kind === "Kustomization")
        readFluxKustomization(data, doc, lines, file.path, out);
    }
  }
  const seen = /* @__PURE__ */ new Set();
  out.problems = out.problems.filter((p) => {
    const key = JSON.stringify([p.file, p.line, p.column, p.field, p.message]);
    return seen.has(key) ? false : (seen.add(key), true);
  }).sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
  );
  return out;
}
function normalizeSourcePath(p) {
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  return parts.join("/");
}
function deploymentFor(deployments, regionDir) {
  const dir = normalizeSourcePath(regionDir);
  const found = deployments.filter((d) => d.paths.some((p) => pathMatches(p, dir)));
  if (found.length === 0) return {};
  const [first] = found;
  if (found.length === 1) return { deployment: first };
  const others = new Set(found.slice(1).map((d) => d.name));
  return {
    deployment: first,
    warning: `${dir} is the source of ${found.length} objects in the tree; the settings of ${first.name} (${first.file}) are used, not those of ${[...others].join(", ")}`
  };
}
function pathMatches(pattern, dir) {
  if (!pattern.includes("{{")) return pattern === dir;
  const re = pattern.split(/(\{\{.*?\}\})/).map((part) => part.startsWith("{{") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("");
  return new RegExp(`^${re}$`).test(dir);
}
function place(doc, lines, file, path, message, atKey = false) {
  const pos = locate(doc, lines, path, atKey);
  return {
    file,
    ...pos ? { line: pos.line, column: pos.column } : {},
    field: formatPath(path),
    message
  };
}
function rulesAt(value, where2, label, engine, out) {
  if (value === void 0 || value === null) return [];
  const problems = validateIgnoreDifferences(value, { shape: true });
  for (const p of problems)
    out.problems.push(
      place(where2.doc, where2.lines, where2.file, [...where2.path, ...p.path], p.message, p.atKey)
    );
  if (problems.length > 0 || !Array.isArray(value)) return [];
  return toRules(value).map((rule, i2) => compileIgnoreRule(rule, label(i2), engine));
}
function readApplication(app, at2, doc, lines, file, fromSet, out) {
  const metadata = isObject3(app.metadata) ? app.metadata : {};
  const spec = isObject3(app.spec) ? app.spec : {};
  const appName = str2(metadata.name) ?? "(unnamed)";
  const name = `Argo CD Application ${appName}${fromSet ? ` (ApplicationSet ${fromSet})` : ""}`;
  const sources = [
    ...isObject3(spec.source) ? [spec.source] : [],
    ...Array.isArray(spec.sources) ? spec.sources.filter(isObject3) : []
  ];
  const paths = sources.flatMap(
    (s) => typeof s.path === "string" ? [normalizeSourcePath(s.path)] : []
  );
  const syncPolicy = isObject3(spec.syncPolicy) ? spec.syncPolicy : {};
  const annotations = isObject3(metadata.annotations) ? metadata.annotations : {};
  const compare = str2(annotations[ARGOCD_COMPARE_OPTIONS]);
  const ignoreDifferences = rulesAt(
    spec.ignoreDifferences,
    { doc, lines, file, path: [...at2, "spec", "ignoreDifferences"] },
    (i2) => `${name} spec.ignoreDifferences[${i2}] (${file})`,
    "argocd",
    out
  );
  out.deployments.push({
    engine: "argocd",
    name,
    file,
    paths,
    ignoreDifferences,
    syncOptions: strings(syncPolicy.syncOptions).map((s) => s.trim()),
    compareOptions: compare ? splitArgoOptions(compare) : []
  });
}
function readApplicationSet(set2, doc, lines, file, out) {
  const metadata = isObject3(set2.metadata) ? set2.metadata : {};
  const spec = isObject3(set2.spec) ? set2.spec : {};
  const setName = str2(metadata.name) ?? "(unnamed)";
  const template = isObject3(spec.template) ? spec.template : void 0;
  if (!template) return;
  const goTemplate = spec.goTemplate === true;
  const generators = Array.isArray(spec.generators) ? spec.generators.filter(isObject3) : [];
  const elements = [];
  let expandable = generators.length > 0;
  for (const g of generators) {
    const list = isObject3(g.list) ? g.list : void 0;
    if (list && Array.isArray(list.elements) && Object.keys(g).length === 1)
      elements.push(...list.elements.filter(isObject3));
    else expandable = false;
  }
  if (spec.templatePatch !== void 0)
    out.warnings.push(
      `ApplicationSet ${setName} (${file}) has a templatePatch, which mr-drift does not apply: its settings are read from spec.template`
    );
  if (!expandable) {
    out.warnings.push(
      `ApplicationSet ${setName} (${file}) has generators other than \`list\`: its template is matched to the regions with each placeholder standing for any folder name`
    );
    readApplication(template, ["spec", "template"], doc, lines, file, setName, out);
    return;
  }
  for (const element of elements) {
    const filled = fill(template, element, goTemplate);
    readApplication(filled, ["spec", "template"], doc, lines, file, setName, out);
  }
}
function fill(value, element, goTemplate) {
  if (typeof value === "string")
    return value.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, expr) => {
      const key = goTemplate ? expr.startsWith(".") ? expr.slice(1) : void 0 : expr;
      if (key === void 0 || !/^[A-Za-z0-9_.-]+$/.test(key)) return whole;
      let v = element;
      for (const k of key.split(".")) v = isObject3(v) ? v[k] : void 0;
      if (v === void 0 && !goTemplate && Object.hasOwn(element, key)) v = element[key];
      return v === void 0 || v === null || typeof v === "object" ? whole : String(v);
    });
  if (Array.isArray(value)) return value.map((v) => fill(v, element, goTemplate));
  if (isObject3(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fill(v, element, goTemplate)])
    );
  return value;
}
function readFluxKustomization(k, doc, lines, file, out) {
  const metadata = isObject3(k.metadata) ? k.metadata : {};
  const spec = isObject3(k.spec) ? k.spec : {};
  const name = `Flux Kustomization ${str2(metadata.name) ?? "(unnamed)"}`;
  const annotations = isObject3(metadata.annotations) ? metadata.annotations : {};
  const text = annotations[FLUX_IGNORE_ANNOTATION];
  let ignoreDifferences = [];
  const annotationPath = ["metadata", "annotations", FLUX_IGNORE_ANNOTATION];
  if (typeof text === "string") {
    const inner = (0, import_yaml3.parseDocument)(text);
    if (inner.errors.length > 0) {
      out.problems.push(
        place(
          doc,
          lines,
          file,
          annotationPath,
          `not valid YAML: ${inner.errors[0].message.split("\n")[0]}`
        )
      );
    } else {
      ignoreDifferences = rulesAt(
        inner.toJS(),
        { doc, lines, file, path: annotationPath },
        (i2) => `the ignore rule ${i2} of ${name} (${FLUX_IGNORE_ANNOTATION}, ${file})`,
        void 0,
        out
      );
    }
  } else if (text !== void 0) {
    out.problems.push(
      place(doc, lines, file, annotationPath, "expected the rules as a YAML list in a string")
    );
  }
  out.deployments.push({
    engine: "flux",
    name,
    file,
    paths: typeof spec.path === "string" ? [normalizeSourcePath(spec.path)] : [""],
    ignoreDifferences,
    syncOptions: [],
    compareOptions: []
  });
}

// src/adapters/git/run-git.ts
import { execFile as execFile2 } from "node:child_process";
function git(args, cwd, env = process.env, timeoutMs = 3e5) {
  return new Promise((done) => {
    execFile2(
      "git",
      args,
      { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const missing = err?.code === "ENOENT";
        done({ ok: !err, stdout: String(stdout), stderr: String(stderr), missing });
      }
    );
  });
}

// src/adapters/desired/read-tree-deployments.ts
async function readRegionDeployments(treeDir) {
  const files = await yamlFiles(resolve2(treeDir));
  const texts = await Promise.all(
    files.map(async (f) => ({ path: displayPath(f), text: await readFile3(f, "utf8") }))
  );
  const tree = readTreeDeployments(texts);
  if (tree.problems.length > 0) throw new TreeSettingsError(tree.problems);
  const root = await repoRoot(resolve2(treeDir));
  return (regionDir) => {
    const rel = relative(root, resolve2(regionDir)).split(sep).join("/");
    const { deployment, warning } = deploymentFor(tree.deployments, rel);
    const warnings = deployment ? [...tree.warnings] : [];
    if (warning) warnings.push(warning);
    return deployment ? { deployment, warnings } : { warnings };
  };
}
async function repoRoot(dir) {
  const top = await git(["rev-parse", "--show-toplevel"], dir, process.env, 5e3);
  return top.ok && top.stdout.trim() !== "" ? top.stdout.trim() : resolve2(dir, "..");
}
async function yamlFiles(dir) {
  const out = [];
  const walk3 = async (d) => {
    let entries;
    try {
      entries = await readdir2(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const p = resolve2(d, e.name);
      if (e.isDirectory()) await walk3(p);
      else if (/\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  await walk3(dir);
  return out;
}

// src/adapters/git/base-revision.ts
import { mkdtemp, rm, stat as stat2 } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname as dirname2, isAbsolute, join as join3, relative as relative2, resolve as resolve3 } from "node:path";
async function existingDir(path) {
  const full = resolve3(path);
  try {
    return (await stat2(full)).isDirectory() ? full : dirname2(full);
  } catch {
    return dirname2(full);
  }
}
async function checkoutBase(path, ref, tempParent = tmpdir()) {
  if (ref === "" || ref.startsWith("-") || /[\s\0]/.test(ref)) {
    throw new BaseUnavailable(
      `base revision ${JSON.stringify(ref)} is not a Git ref or commit`,
      (say) => `Pass a branch, tag or commit SHA, e.g. ${say.setting("base", "origin/main")}.`
    );
  }
  const cwd = await existingDir(path);
  const top = await git(["rev-parse", "--show-toplevel"], cwd);
  if (top.missing) {
    throw new BaseUnavailable(
      "git was not found on PATH, so the base revision cannot be read",
      "Install git, or leave out the base revision."
    );
  }
  if (!top.ok) {
    throw new BaseUnavailable(
      `${path} is not inside a Git repository, so the base revision ${ref} cannot be read`,
      "Run the check in a clone of the repository, or leave out the base revision."
    );
  }
  const repo = top.stdout.trim();
  const resolved = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], repo);
  if (!resolved.ok) {
    throw new BaseUnavailable(
      `base revision ${ref} is not in this checkout`,
      `Fetch it first (git fetch origin ${ref}); in GitHub Actions, check out with actions/checkout and fetch-depth: 0, or fetch the base commit in a step before mr-drift.`
    );
  }
  const revision = resolved.stdout.trim();
  const relPath = relative2(realpathSync(repo), realpathSync(resolve3(path)));
  if (relPath.startsWith("..") || isAbsolute(relPath)) {
    throw new BaseUnavailable(
      `${path} is outside the Git repository ${repo}`,
      (say) => `Point ${say.option("path")} inside the repository to compare with a base revision.`
    );
  }
  const root = await mkdtemp(join3(tempParent, "mr-drift-base-"));
  const guard = removeOnExit(root);
  const dispose = async () => {
    await rm(root, { recursive: true, force: true });
    guard.release();
  };
  try {
    const tree = join3(root, "tree");
    const env = { ...process.env, GIT_INDEX_FILE: join3(root, "index") };
    const read = await git(["read-tree", revision], repo, env);
    const write = read.ok ? await git(["checkout-index", "--all", "--force", `--prefix=${tree}/`], repo, env) : read;
    if (!write.ok) {
      throw new BaseUnavailable(
        `cannot write the files of base revision ${ref} (${revision.slice(0, 12)}): ${write.stderr.trim().split("\n")[0] ?? "git failed"}`,
        "Check that the clone is complete (not a partial or sparse clone missing those files)."
      );
    }
    return { revision, path: join3(tree, relPath), root: tree, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

// src/adapters/git/head-revision.ts
import { statSync } from "node:fs";
import { dirname as dirname3, resolve as resolve4 } from "node:path";
async function headRevision(path) {
  let cwd = process.cwd();
  try {
    const full = resolve4(path);
    cwd = statSync(full).isDirectory() ? full : dirname3(full);
  } catch {
  }
  const head = await git(["rev-parse", "HEAD"], cwd, process.env, 5e3);
  return head.ok ? head.stdout.trim() || void 0 : void 0;
}

// src/adapters/kube/kubeconfig.ts
import { existsSync as existsSync2, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter as delimiter2, dirname as dirname4, isAbsolute as isAbsolute2, join as join4, resolve as resolve5 } from "node:path";
var Kubeconfig = class {
  constructor(files) {
    this.files = files;
  }
  files;
  clusters = /* @__PURE__ */ new Map();
  users = /* @__PURE__ */ new Map();
  contexts = /* @__PURE__ */ new Map();
  currentContext;
  /** Context names, in the order the files define them. */
  contextNames() {
    return [...this.contexts.keys()];
  }
};
var SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
function defaultSearch() {
  return {
    ...process.env.KUBECONFIG !== void 0 ? { kubeconfigVar: process.env.KUBECONFIG } : {},
    home: homedir(),
    ...process.env.KUBERNETES_SERVICE_HOST ? { serviceHost: process.env.KUBERNETES_SERVICE_HOST } : {},
    ...process.env.KUBERNETES_SERVICE_PORT ? { servicePort: process.env.KUBERNETES_SERVICE_PORT } : {}
  };
}
function loadKubeconfig(file, search = defaultSearch()) {
  const exists = search.exists ?? existsSync2;
  if (file !== void 0) {
    if (!exists(file))
      throw new KubeconfigError(
        (say) => `${say.subject("kubeconfig", file)}: no such file`,
        (say) => `Pass the path of a kubeconfig file, or leave ${say.option("kubeconfig")} out to use KUBECONFIG or ~/.kube/config.`
      );
    return mergeFiles([file]);
  }
  const listed = (search.kubeconfigVar ?? "").split(delimiter2).filter(Boolean);
  if (listed.length > 0) {
    const missing = listed.filter((f) => !exists(f));
    if (missing.length > 0)
      throw new KubeconfigError(
        `KUBECONFIG names ${missing.length === 1 ? "a file that does" : "files that do"} not exist: ${missing.join(", ")}`,
        (say) => `Fix KUBECONFIG, or pass ${say.option("kubeconfig", "<file>")}.`
      );
    return mergeFiles(listed);
  }
  const home = search.home ? join4(search.home, ".kube", "config") : void 0;
  if (home && exists(home)) return mergeFiles([home]);
  const inCluster = inClusterConfig(search);
  if (inCluster) return inCluster;
  throw new KubeconfigError(
    (say) => `no kubeconfig: ${say.option("kubeconfig")} is not given, KUBECONFIG is not set, and ${home ?? "~/.kube/config"} does not exist`,
    (say) => `Pass ${say.option("kubeconfig", "<file>")}, or set KUBECONFIG.`
  );
}
function mergeFiles(files) {
  const kc = new Kubeconfig(files);
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new KubeconfigError(
        `cannot read the kubeconfig: cannot read ${file} (${e.code ?? e.message})`,
        "Check that the file is a valid kubeconfig (kubectl config view should print it)."
      );
    }
    try {
      readInto(kc, text, file);
    } catch (e) {
      if (!(e instanceof KubeconfigError)) throw e;
      throw new KubeconfigError(
        `cannot read the kubeconfig: ${e.message}`,
        e.hint ?? "Check that the file is a valid kubeconfig (kubectl config view should print it)."
      );
    }
  }
  return kc;
}
function readInto(kc, text, file) {
  let doc;
  try {
    doc = js_yaml_default.load(text);
  } catch (e) {
    const line = e.mark?.line;
    throw new KubeconfigError(
      `${file}${line !== void 0 ? `:${line + 1}` : ""}: not valid YAML`,
      "Check the file with `kubectl config view --kubeconfig <file>`."
    );
  }
  if (doc === void 0 || doc === null) return;
  if (!isRecord(doc)) throw new KubeconfigError(`${file}: expected a kubeconfig (a mapping)`);
  const fail = (field, what) => new KubeconfigError(
    `${file}: ${field}: ${what}`,
    "Fix the kubeconfig; `kubectl config view` shows what kubectl makes of it."
  );
  const dir = dirname4(resolve5(file));
  const path = (p, field) => {
    if (p === void 0 || p === null || p === "") return void 0;
    if (typeof p !== "string") throw fail(field, "expected a file path");
    return isAbsolute2(p) ? p : join4(dir, p);
  };
  const str3 = (v, field) => {
    if (v === void 0 || v === null || v === "") return void 0;
    if (typeof v !== "string") throw fail(field, "expected a string");
    return v;
  };
  const base64 = (v, field) => {
    const s = str3(v, field);
    return s === void 0 ? void 0 : Buffer.from(s, "base64");
  };
  const entries = (key) => {
    const list = doc[key];
    if (list === void 0 || list === null) return [];
    if (!Array.isArray(list)) throw fail(key, "expected a list");
    return list.map((e, i2) => {
      const at2 = `${key}[${i2}]`;
      if (!isRecord(e)) throw fail(at2, "expected a mapping");
      if (typeof e.name !== "string" || e.name === "") throw fail(`${at2}.name`, "missing");
      const bodyKey = key.slice(0, -1);
      const body = e[bodyKey] ?? {};
      if (!isRecord(body)) throw fail(`${at2}.${bodyKey}`, "expected a mapping");
      return { name: e.name, body, at: `${at2}.${bodyKey}` };
    });
  };
  for (const { name, body, at: at2 } of entries("clusters")) {
    if (kc.clusters.has(name)) continue;
    const server = str3(body.server, `${at2}.server`);
    if (!server) throw fail(`${at2}.server`, "missing");
    const cluster = {
      name,
      server: server.replace(/\/+$/, ""),
      insecureSkipTlsVerify: body["insecure-skip-tls-verify"] === true
    };
    const ca = path(body["certificate-authority"], `${at2}.certificate-authority`);
    if (ca) cluster.certificateAuthority = ca;
    const caData = base64(body["certificate-authority-data"], `${at2}.certificate-authority-data`);
    if (caData) cluster.certificateAuthorityData = caData;
    const sni = str3(body["tls-server-name"], `${at2}.tls-server-name`);
    if (sni) cluster.tlsServerName = sni;
    const proxy = str3(body["proxy-url"], `${at2}.proxy-url`);
    if (proxy) cluster.proxyUrl = proxy;
    kc.clusters.set(name, cluster);
  }
  for (const { name, body, at: at2 } of entries("users")) {
    if (kc.users.has(name)) continue;
    const user = { name };
    const set2 = (key, value) => {
      if (value !== void 0) user[key] = value;
    };
    set2("clientCertificate", path(body["client-certificate"], `${at2}.client-certificate`));
    set2(
      "clientCertificateData",
      base64(body["client-certificate-data"], `${at2}.client-certificate-data`)
    );
    set2("clientKey", path(body["client-key"], `${at2}.client-key`));
    set2("clientKeyData", base64(body["client-key-data"], `${at2}.client-key-data`));
    set2("token", str3(body.token, `${at2}.token`));
    set2("tokenFile", path(body.tokenFile ?? body["token-file"], `${at2}.tokenFile`));
    set2("username", str3(body.username, `${at2}.username`));
    set2("password", str3(body.password, `${at2}.password`));
    set2("as", str3(body.as, `${at2}.as`));
    set2("asUid", str3(body["as-uid"], `${at2}.as-uid`));
    const groups = body["as-groups"];
    if (groups !== void 0 && groups !== null) {
      if (!Array.isArray(groups) || groups.some((g) => typeof g !== "string"))
        throw fail(`${at2}.as-groups`, "expected a list of strings");
      if (groups.length > 0) user.asGroups = groups;
    }
    if (body.exec !== void 0 && body.exec !== null)
      user.exec = readExec(body.exec, `${at2}.exec`, dir, fail);
    const provider = body["auth-provider"];
    if (provider !== void 0 && provider !== null) {
      if (!isRecord(provider) || typeof provider.name !== "string")
        throw fail(`${at2}.auth-provider`, "expected a mapping with a name");
      user.authProvider = {
        name: provider.name,
        config: isRecord(provider.config) ? provider.config : {}
      };
    }
    kc.users.set(name, user);
  }
  for (const { name, body, at: at2 } of entries("contexts")) {
    if (kc.contexts.has(name)) continue;
    const cluster = str3(body.cluster, `${at2}.cluster`);
    if (!cluster) throw fail(`${at2}.cluster`, "missing");
    const context = { name, cluster };
    const user = str3(body.user, `${at2}.user`);
    if (user) context.user = user;
    const namespace = str3(body.namespace, `${at2}.namespace`);
    if (namespace) context.namespace = namespace;
    kc.contexts.set(name, context);
  }
  const current = str3(doc["current-context"], "current-context");
  if (current && kc.currentContext === void 0) kc.currentContext = current;
}
function readExec(raw, at2, dir, fail) {
  if (!isRecord(raw)) throw fail(at2, "expected a mapping");
  if (typeof raw.command !== "string" || raw.command === "") throw fail(`${at2}.command`, "missing");
  if (typeof raw.apiVersion !== "string" || raw.apiVersion === "")
    throw fail(`${at2}.apiVersion`, "missing (e.g. client.authentication.k8s.io/v1)");
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string"))
    throw fail(`${at2}.args`, "expected a list of strings");
  const env = raw.env ?? [];
  if (!Array.isArray(env) || env.some((e) => !isRecord(e) || typeof e.name !== "string" || typeof e.value !== "string"))
    throw fail(`${at2}.env`, "expected a list of {name, value}");
  const command = raw.command.includes("/") && !isAbsolute2(raw.command) ? join4(dir, raw.command) : raw.command;
  return {
    apiVersion: raw.apiVersion,
    command,
    args,
    env,
    ...typeof raw.installHint === "string" ? { installHint: raw.installHint } : {},
    provideClusterInfo: raw.provideClusterInfo === true,
    ...typeof raw.interactiveMode === "string" ? { interactiveMode: raw.interactiveMode } : {}
  };
}
function inClusterConfig(search) {
  const dir = search.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const tokenFile = join4(dir, "token");
  if (!search.serviceHost || !search.servicePort || !(search.exists ?? existsSync2)(tokenFile))
    return void 0;
  const host = search.serviceHost.includes(":") ? `[${search.serviceHost}]` : search.serviceHost;
  const kc = new Kubeconfig([tokenFile]);
  kc.clusters.set("inCluster", {
    name: "inCluster",
    server: `https://${host}:${search.servicePort}`,
    certificateAuthority: join4(dir, "ca.crt"),
    insecureSkipTlsVerify: false
  });
  kc.users.set("inClusterUser", { name: "inClusterUser", tokenFile });
  let namespace;
  try {
    namespace = readFileSync(join4(dir, "namespace"), "utf8").trim() || void 0;
  } catch {
  }
  kc.contexts.set("inClusterContext", {
    name: "inClusterContext",
    cluster: "inCluster",
    user: "inClusterUser",
    ...namespace ? { namespace } : {}
  });
  kc.currentContext = "inClusterContext";
  return kc;
}
function isRecord(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// src/adapters/kube/limiter.ts
var Limiter = class {
  constructor(max) {
    this.max = max;
  }
  max;
  active = 0;
  waiting = [];
  /** Runs `task` when a slot is free; slots are handed over in arrival order. */
  async run(task) {
    if (this.active >= this.max) await new Promise((resolve6) => this.waiting.push(resolve6));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
};
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i2 = next++;
      out[i2] = await fn(items[i2], i2);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// src/pipeline/check-options.ts
var DEFAULT_PARALLEL_REGIONS = 8;

// src/core/normalize/quantity.ts
var QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;
var BINARY = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n
};
var DECIMAL_EXP = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18
};
function parseQuantity(v) {
  const text = typeof v === "number" ? Number.isFinite(v) ? String(v) : "" : typeof v === "string" ? v.trim() : "";
  const m = QUANTITY.exec(text);
  if (!m) return void 0;
  const [, sign, digits, binary2, decimal, exponent] = m;
  const [whole, frac = ""] = digits.split(".");
  let num = BigInt(`${whole || "0"}${frac}`);
  let den = 10n ** BigInt(frac.length);
  if (sign === "-") num = -num;
  if (binary2) num *= BINARY[binary2];
  const exp = decimal ? DECIMAL_EXP[decimal] : exponent ? Number(exponent) : 0;
  if (Math.abs(exp) > 100) return void 0;
  if (exp > 0) num *= 10n ** BigInt(exp);
  else if (exp < 0) den *= 10n ** BigInt(-exp);
  return { num, den };
}
function milli(r) {
  const scaled = r.num * 1000n;
  const q = scaled / r.den;
  return scaled % r.den !== 0n && scaled > 0n ? q + 1n : q;
}
function quantitiesEqual(a, b) {
  const ra = parseQuantity(a);
  const rb = parseQuantity(b);
  if (!ra || !rb) return false;
  return milli(ra) === milli(rb);
}

// src/core/compare/apply-no-op.ts
var QUANTITY_PARENTS = /* @__PURE__ */ new Set(["limits", "requests", "hard", "capacity", "overhead"]);
function applyIsNoOp(manifest, live, entry) {
  if (!entry || entry.operation !== "Apply" || entry.subresource) return false;
  if (entry.apiVersion !== void 0 && entry.apiVersion !== manifest.apiVersion) return false;
  const body = { ...manifest };
  delete body.apiVersion;
  delete body.kind;
  const meta = { ...manifest.metadata };
  delete meta.name;
  delete meta.namespace;
  if (Object.keys(meta).length > 0) body.metadata = meta;
  else delete body.metadata;
  let root = entry.root;
  if (manifest.kind === "Secret" && manifest.apiVersion === "v1" && body.stringData !== void 0) {
    const node = root.children.find((c) => c.kind === "field" && c.name === "stringData");
    if (!node || !stringDataApplied(manifest, live, node.node)) return false;
    delete body.stringData;
    root = { ...root, children: root.children.filter((c) => c !== node) };
  }
  return matches(body, root, live, "", "");
}
function stringDataApplied(manifest, live, node) {
  const sd = manifest.stringData;
  if (!isJsonObject(sd)) return false;
  const keys = Object.keys(sd);
  const data = isJsonObject(live.data) ? live.data : {};
  const own = isJsonObject(manifest.data) ? manifest.data : {};
  if (node.children.length !== keys.length) return false;
  return keys.every((k) => {
    const child = node.children.find((c) => c.kind === "field" && c.name === k);
    const v = sd[k];
    return child !== void 0 && isLeaf(child.node) && !(k in own) && typeof v === "string" && data[k] === Buffer.from(v, "utf8").toString("base64");
  });
}
function matches(d, node, l, name, container) {
  if (d === null || l === void 0) return false;
  if (isJsonObject(d)) {
    if (!isJsonObject(l)) return false;
    if (isLeaf(node)) return jsonEqual(d, l);
    const keys = Object.keys(d);
    if (node.children.some((c) => c.kind !== "field") || node.children.length !== keys.length)
      return false;
    return keys.every((k) => {
      const child = node.children.find((c) => c.kind === "field" && c.name === k);
      return child !== void 0 && matches(d[k], child.node, l[k], k, name);
    });
  }
  if (Array.isArray(d)) {
    if (!Array.isArray(l)) return false;
    if (isLeaf(node)) return jsonEqual(d, l);
    if (node.children.length !== d.length) return false;
    if (node.children.every((c) => c.kind === "value")) {
      return d.every(
        (v) => node.children.some((c) => c.kind === "value" && jsonEqual(c.value, v)) && l.some((x) => jsonEqual(x, v))
      );
    }
    return d.every((item) => {
      const owned = node.children.filter((c) => c.kind === "key" && itemMatchesKey(item, c.key));
      if (owned.length !== 1 || owned[0].kind !== "key") return false;
      const key = owned[0].key;
      const liveItems = l.filter((x) => itemMatchesKey(x, key));
      return liveItems.length === 1 && matches(item, owned[0].node, liveItems[0], name, container);
    });
  }
  if (!isLeaf(node)) return false;
  if (d === l) return true;
  return QUANTITY_PARENTS.has(container) && typeof l === "string" && quantitiesEqual(d, l);
}

// src/core/compare/dry-run-targets.ts
function chooseDryRunTargets(desired, live, options) {
  const provenNoOp = /* @__PURE__ */ new Map();
  const targets2 = [];
  for (const object of desired) {
    const key = objectKey(refOf(object.entry.manifest));
    const liveObject = live.get(key);
    const resourceType = object.resourceType;
    if (!resourceType || !liveObject) continue;
    const entries = managedFieldsOf(liveObject);
    const manager = options.fieldManager ?? detectManager(entries) ?? DEFAULT_FIELD_MANAGER;
    const applied = entries.find(
      (e) => e.manager === manager && e.operation === "Apply" && !e.subresource
    );
    if (!options.fullDryRun && applyIsNoOp(object.entry.manifest, liveObject, applied))
      provenNoOp.set(key, liveObject);
    else targets2.push({ object, resourceType, key, manager });
  }
  return { provenNoOp, targets: targets2 };
}

// src/core/compare/extra-objects.ts
var APP_LABELS = [
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/instance",
  "kustomize.toolkit.fluxcd.io/name"
];
var TRACKING_ID = "argocd.argoproj.io/tracking-id";
var NEVER_EXTRA = /* @__PURE__ */ new Set([
  "|Event",
  "events.k8s.io|Event",
  "|Endpoints",
  "discovery.k8s.io|EndpointSlice",
  "coordination.k8s.io|Lease",
  "apps|ControllerRevision",
  "|ComponentStatus",
  "|Node",
  "storage.k8s.io|CSINode",
  "storage.k8s.io|VolumeAttachment",
  "resource.k8s.io|ResourceSlice",
  "networking.k8s.io|IPAddress"
]);
var ENGINE_GROUPS = [/^argoproj\.io$/, /\.toolkit\.fluxcd\.io$/];
function kindNeverExtra(group, kind) {
  return NEVER_EXTRA.has(`${group}|${kind}`) || ENGINE_GROUPS.some((re) => re.test(group));
}
function trackingApp(obj) {
  const id = obj.metadata.annotations?.[TRACKING_ID];
  if (typeof id !== "string") return void 0;
  const colon = id.indexOf(":");
  return colon > 0 ? id.slice(0, colon) : void 0;
}
function appIdentity(desired, liveTwins) {
  const id = { labels: /* @__PURE__ */ new Map(), argoApps: /* @__PURE__ */ new Set() };
  for (const obj of [...desired, ...liveTwins]) {
    if (obj.kind === "CustomResourceDefinition") continue;
    for (const key of APP_LABELS) {
      const v = obj.metadata.labels?.[key];
      if (typeof v !== "string" || v === "") continue;
      if (!id.labels.has(key)) id.labels.set(key, /* @__PURE__ */ new Set());
      id.labels.get(key).add(v);
    }
  }
  for (const obj of liveTwins) {
    const app = trackingApp(obj);
    if (app) id.argoApps.add(app);
  }
  return id;
}
function identitySelectors(id, known) {
  return [...id.labels.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, values2]) => [
    key,
    [...values2].filter((v) => !known?.labels.get(key)?.has(v)).sort()
  ]).filter(([, values2]) => values2.length > 0).map(([key, values2]) => `${key} in (${values2.join(",")})`);
}
function carriesIdentity(obj, id) {
  for (const [key, values2] of id.labels) {
    const v = obj.metadata.labels?.[key];
    if (typeof v === "string" && values2.has(v)) return true;
  }
  const app = trackingApp(obj);
  return app !== void 0 && id.argoApps.has(app);
}
function statefulSetClaimPatterns(desired) {
  const out = [];
  for (const obj of desired) {
    if (obj.kind !== "StatefulSet" || groupOf2(obj.apiVersion) !== "apps") continue;
    const spec = obj.spec;
    const templates = isJsonObject(spec) && Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
    for (const t of templates) {
      const name = isJsonObject(t) && isJsonObject(t.metadata) ? t.metadata.name : void 0;
      if (typeof name !== "string") continue;
      const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      out.push({
        namespace: obj.metadata.namespace ?? "",
        re: new RegExp(`^${esc(name)}-${esc(obj.metadata.name)}-\\d+$`)
      });
    }
  }
  return out;
}
function isExtraCandidate(obj, id, claimPatterns) {
  const group = groupOf2(obj.apiVersion);
  if (kindNeverExtra(group, obj.kind)) return false;
  const owners = obj.metadata.ownerReferences;
  if (Array.isArray(owners) && owners.length > 0) return false;
  if (obj.kind === "PersistentVolumeClaim" && group === "" && claimPatterns.some(
    (p) => p.namespace === (obj.metadata.namespace ?? "") && p.re.test(obj.metadata.name)
  ))
    return false;
  return carriesIdentity(obj, id);
}
function creatorOf(obj) {
  const raw = obj.metadata.managedFields;
  const entries = (Array.isArray(raw) ? raw : []).filter(
    (e) => typeof e.manager === "string" && e.manager !== "" && !e.subresource
  );
  if (entries.length === 0) return void 0;
  const oldest = entries.reduce((a, b) => (b.time ?? "~") < (a.time ?? "~") ? b : a);
  const creator = { manager: oldest.manager };
  if (oldest.operation) creator.operation = oldest.operation;
  const created = obj.metadata.creationTimestamp;
  const time = typeof created === "string" ? created : oldest.time;
  if (typeof time === "string") creator.time = time;
  return creator;
}

// src/core/compare/read-plan.ts
function planRegionReads(desired, catalog, alsoRead = []) {
  const lists = /* @__PURE__ */ new Map();
  for (const o of [...desired, ...alsoRead]) {
    const rt = o.resourceType;
    if (!rt) continue;
    const ns = rt.namespaced ? o.entry.manifest.metadata.namespace : void 0;
    lists.set(`${rt.group}/${rt.version}/${rt.resource}/${ns ?? ""}`, {
      resourceType: rt,
      ...ns ? { namespace: ns } : {}
    });
  }
  const namespaces = [
    ...new Set(
      desired.flatMap(
        (o) => o.resourceType?.namespaced ? [o.entry.manifest.metadata.namespace] : []
      )
    )
  ].sort();
  const listed = new Set(
    [...lists.values()].map(
      (l) => `${l.resourceType.group}|${l.resourceType.kind}|${l.namespace ?? ""}`
    )
  );
  const searches = [];
  for (const rt of catalog.preferred) {
    if (!rt.verbs.includes("list") || !rt.verbs.includes("create")) continue;
    if (kindNeverExtra(rt.group, rt.kind)) continue;
    const wanted = (ns) => !listed.has(`${rt.group}|${rt.kind}|${ns}`);
    if (!rt.namespaced) {
      if (wanted("")) searches.push({ resourceType: rt });
    } else
      for (const ns of namespaces)
        if (wanted(ns)) searches.push({ resourceType: rt, namespace: ns });
  }
  return { lists: [...lists.values()], searches };
}

// src/core/engine/apply-engine-annotations.ts
function applyEngineAnnotations(findings, ctx) {
  const kept = [];
  const ignored = [];
  for (const f of findings) {
    const key = objectKey(f);
    const engines = ctx.enginesFor(key);
    const desired = ctx.desired.get(key);
    const live = ctx.live.get(key);
    const ref = {
      apiVersion: f.apiVersion,
      kind: f.kind,
      ...f.namespace ? { namespace: f.namespace } : {},
      name: f.name
    };
    const hideAll = (hit2) => {
      if (f.type === "changed")
        for (const d of f.fields) ignored.push(hiddenBy(ref, d.path, f.type, hit2));
      else ignored.push(hiddenBy(ref, "", f.type, hit2));
    };
    if (engines.includes("flux")) {
      if (f.type === "extra") {
        const keep = fluxKeepsOnPrune(live);
        if (keep) {
          hideAll(keep);
          continue;
        }
      } else {
        const skip = fluxSkipsApply(desired, live);
        if (skip && (skip.where === "Git" || f.type === "missing")) {
          hideAll(skip);
          continue;
        }
        if (skip) {
          const own = settingPath(skip);
          for (const d of f.fields)
            if (d.path !== own) ignored.push(hiddenBy(ref, d.path, f.type, skip));
          const setting = f.fields.filter((d) => d.path === own);
          if (setting.length > 0) kept.push({ ...f, fields: setting });
          continue;
        }
        const createOnly = f.type === "changed" ? fluxCreatesOnly(desired) : void 0;
        if (createOnly) {
          hideAll(createOnly);
          continue;
        }
        const merge2 = f.type === "changed" ? fluxMerges(desired, live) : void 0;
        if (merge2) {
          const added = (d) => d.desired === void 0 && d.live !== void 0 && d.manager !== void 0 && !ctx.isApplier(d.manager);
          for (const d of f.fields)
            if (added(d)) ignored.push(hiddenBy(ref, d.path, f.type, merge2));
          const rest = f.fields.filter((d) => !added(d));
          if (rest.length > 0) kept.push({ ...f, fields: rest });
          continue;
        }
      }
    }
    if (engines.includes("argocd") && f.type === "extra") {
      const extraneous = argoOption(
        live,
        ARGOCD_COMPARE_OPTIONS,
        "IgnoreExtraneous",
        "the cluster"
      );
      if (extraneous) {
        hideAll(extraneous);
        continue;
      }
      const noPrune = argoOption(live, ARGOCD_SYNC_OPTIONS, "Prune=false", "the cluster");
      if (noPrune) {
        kept.push({ ...f, notPrunedBy: settingLabel(noPrune) });
        continue;
      }
    }
    kept.push(f);
  }
  return { findings: kept, ignored };
}
function hiddenBy(ref, path, type2, hit2) {
  return { ...ref, path, type: type2, rule: settingLabel(hit2), engine: hit2.engine };
}
function settingPath(hit2) {
  return formatPath2([
    { field: "metadata" },
    { field: hit2.as === "label" ? "labels" : "annotations" },
    { field: hit2.key }
  ]);
}

// src/core/engine/engine-of.ts
var ENGINE_OF_MANAGER = {
  "argocd-controller": "argocd",
  "kustomize-controller": "flux"
};
function enginesFor(live, regionEngine, fieldManager) {
  if (regionEngine) return [regionEngine];
  const applied = live ? detectManager(managedFieldsOf(live)) : void 0;
  const engine = (applied && ENGINE_OF_MANAGER[applied]) ?? (fieldManager && ENGINE_OF_MANAGER[fieldManager]);
  return engine ? [engine] : ["argocd", "flux"];
}

// src/core/engine/sync-method.ts
var LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
function argoSyncMethod(desired, live, appSyncOptions, isApplier) {
  const own = argoOptions(desired, ARGOCD_SYNC_OPTIONS);
  if (own.includes("Replace=true"))
    return { method: "replace", replaceBy: hit("Replace=true", "Git") };
  if (appSyncOptions?.includes("Replace=true"))
    return { method: "replace", replaceBy: hit("Replace=true", "the Application") };
  if (own.includes("ServerSideApply=false")) return { method: "client-side" };
  if (own.includes("ServerSideApply=true") || appSyncOptions?.includes("ServerSideApply=true"))
    return { method: "server-side" };
  if (appSyncOptions) return { method: "client-side" };
  return { method: appliedClientSide(live, isApplier) ? "client-side" : "server-side" };
}
function appliedClientSide(live, isApplier) {
  if (!live || typeof live.metadata.annotations?.[LAST_APPLIED] !== "string") return false;
  const entries = managedFieldsOf(live).filter((e) => isApplier(e.manager));
  return entries.length > 0 && entries.every((e) => e.operation !== "Apply");
}
function hit(value, where2) {
  return {
    engine: "argocd",
    key: ARGOCD_SYNC_OPTIONS,
    value,
    where: where2 === "Git" ? "Git" : "the Application",
    as: "annotation"
  };
}

// src/core/ignore/ignore-rules.ts
function ruleLabel(rule) {
  return rule.description ? `#${rule.index} (${rule.description})` : `#${rule.index}`;
}
function matchesObject(rule, f, region) {
  const glob = (pattern, value) => pattern === void 0 || globMatcher([pattern])(value);
  return (rule.group === void 0 || rule.group === groupOf2(f.apiVersion)) && glob(rule.kind, f.kind) && glob(rule.namespace, f.namespace ?? "") && glob(rule.name, f.name) && (rule.regions === void 0 || rule.regions.includes(region));
}
function segmentMatches(pattern, seg) {
  if ("field" in pattern && pattern.field === "*") return true;
  if ("field" in pattern) return "field" in seg && seg.field === pattern.field;
  if ("index" in pattern) return "index" in seg && seg.index === pattern.index;
  return "key" in seg && jsonEqual(pattern.key, seg.key);
}
function pointerCovers(pointer, path) {
  const pat = parsePath(pointer);
  const segs = parsePath(path);
  return pat.length <= segs.length && pat.every((p, i2) => segmentMatches(p, segs[i2]));
}
function applyIgnoreRules(findings, rules, region) {
  const kept = [];
  const ignored = [];
  for (const f of findings) {
    const rulesHere = rules.filter((r) => matchesObject(r, f, region));
    const whole = rulesHere.find((r) => r.findings?.includes(f.type));
    const ref = {
      apiVersion: f.apiVersion,
      kind: f.kind,
      ...f.namespace ? { namespace: f.namespace } : {},
      name: f.name
    };
    if (whole) {
      ignored.push({ ...ref, path: "", type: f.type, rule: ruleLabel(whole) });
      continue;
    }
    if (f.type !== "changed") {
      kept.push(f);
      continue;
    }
    const fields = f.fields.filter((field) => {
      const rule = rulesHere.find(
        (r) => r.jsonPointers?.some((p) => pointerCovers(p, field.path)) || field.manager !== void 0 && r.managedFieldsManagers?.includes(field.manager)
      );
      if (rule) ignored.push({ ...ref, path: field.path, type: f.type, rule: ruleLabel(rule) });
      return !rule;
    });
    if (fields.length > 0) kept.push({ ...f, fields });
  }
  return { findings: kept, ignored };
}

// src/core/compare/assess-risks.ts
var STATEFULSET_MUTABLE = /* @__PURE__ */ new Set([
  "replicas",
  "ordinals",
  "template",
  "updateStrategy",
  "revisionHistoryLimit",
  "persistentVolumeClaimRetentionPolicy",
  "minReadySeconds"
]);
var WORKLOADS = /* @__PURE__ */ new Set([
  "apps|Deployment",
  "apps|ReplicaSet",
  "apps|DaemonSet",
  "apps|StatefulSet"
]);
function tokens(path) {
  if (path === "") return [];
  return path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}
function startsWith(t, ...prefix) {
  return prefix.every((p, i2) => t[i2] === p);
}
function syncWrites(d) {
  return d.desired !== void 0 || d.operation === "Apply";
}
function quantityLess(a, b) {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  return qa !== void 0 && qb !== void 0 && qa.num * qb.den < qb.num * qa.den;
}
function isImmutableField(kindKey, d, live) {
  if (!syncWrites(d)) return false;
  const t = tokens(d.path);
  switch (kindKey) {
    case "apps|Deployment":
    case "apps|ReplicaSet":
    case "apps|DaemonSet":
      return startsWith(t, "spec", "selector");
    case "apps|StatefulSet":
      return t[0] === "spec" && t.length > 1 && !STATEFULSET_MUTABLE.has(t[1]);
    case "batch|Job": {
      if (startsWith(t, "spec", "selector") || startsWith(t, "spec", "template")) return true;
      if (startsWith(t, "spec", "completionMode")) return true;
      const spec = live?.spec;
      const indexed = isJsonObject(spec) && spec.completionMode === "Indexed";
      return startsWith(t, "spec", "completions") && !indexed;
    }
    case "|Service":
      return (startsWith(t, "spec", "clusterIP") || startsWith(t, "spec", "clusterIPs")) && d.desired !== void 0 && d.live !== void 0;
    case "|PersistentVolumeClaim": {
      if (t[0] !== "spec" || t.length < 2) return false;
      if (t[1] === "volumeAttributesClassName") return false;
      if (startsWith(t, "spec", "resources", "requests"))
        return t[3] === "storage" && quantityLess(d.desired, d.live);
      if (t[1] === "volumeName") return d.live !== void 0 && d.live !== "";
      return true;
    }
    case "|ConfigMap":
    case "|Secret":
      if (kindKey === "|Secret" && t[0] === "type" && d.live !== void 0) return true;
      return live?.immutable === true && (t[0] === "data" || t[0] === "binaryData" || t[0] === "immutable");
    case "rbac.authorization.k8s.io|RoleBinding":
    case "rbac.authorization.k8s.io|ClusterRoleBinding":
      return t[0] === "roleRef";
    default:
      return false;
  }
}
var IMMUTABLE_WORDING = /\bimmutable\b|may not change once set|cannot change|updates to \S+ spec for fields other than|can not be less than previous value/i;
function refusalIsImmutable(causes, message) {
  if (causes.length === 0) return IMMUTABLE_WORDING.test(message);
  return causes.every((c) => IMMUTABLE_WORDING.test(c.message ?? ""));
}
function prunesData(kindKey, live) {
  switch (kindKey) {
    case "|PersistentVolumeClaim":
    case "|Namespace":
    case "apiextensions.k8s.io|CustomResourceDefinition":
      return true;
    case "apps|StatefulSet": {
      const spec = live?.spec;
      return isJsonObject(spec) && Array.isArray(spec.volumeClaimTemplates) && spec.volumeClaimTemplates.length > 0;
    }
    default:
      return false;
  }
}
function findingRisks(f, mode, ctx = {}) {
  const kindKey = `${groupOf2(f.apiVersion)}|${f.kind}`;
  const risks = [];
  if (f.type === "extra") {
    if (f.notPrunedBy === void 0 && prunesData(kindKey, ctx.live)) risks.push("prune-data");
    return sortRisks(risks);
  }
  if (f.type !== "changed") return risks;
  const immutable = mode === "server-side" ? ctx.refusedAsImmutable === true : f.fields.some((d) => isImmutableField(kindKey, d, ctx.live));
  if (immutable) {
    risks.push("immutable-field");
    if (kindKey === "|PersistentVolumeClaim") risks.push("prune-data");
  }
  const selector = kindKey === "|Service" || WORKLOADS.has(kindKey) ? f.fields.some((d) => startsWith(tokens(d.path), "spec", "selector")) : false;
  if (selector) risks.push("selector-change");
  const toZero = f.fields.some(
    (d) => d.path === "/spec/replicas" && d.desired === 0 && d.live !== 0
  );
  if (toZero) risks.push("replicas-to-zero");
  return sortRisks(risks);
}
function assessRisks(findings, mode, context) {
  return findings.map((f) => {
    const risks = findingRisks(f, mode, context(f));
    if (risks.length === 0) {
      if (f.risks === void 0) return f;
      const copy = { ...f };
      delete copy.risks;
      return copy;
    }
    return { ...f, risks };
  });
}

// src/core/compare/list-keys.ts
var KEYS_BY_FIELD = {
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  env: ["name"],
  volumes: ["name"],
  imagePullSecrets: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  hostAliases: ["ip"],
  resourceClaims: ["name"],
  topologySpreadConstraints: ["topologyKey", "whenUnsatisfiable"],
  ownerReferences: ["uid"],
  conditions: ["type"]
};
function builtinListKeys(path, items) {
  const last = path[path.length - 1];
  if (!last || !("field" in last)) return void 0;
  let keys = KEYS_BY_FIELD[last.field];
  if (last.field === "ports") {
    if (items.some((i2) => isJsonObject(i2) && "containerPort" in i2))
      keys = ["containerPort", "protocol"];
    else if (items.some((i2) => isJsonObject(i2) && "port" in i2)) keys = ["port", "protocol"];
  }
  return keys;
}
function keysUsable(items, keys) {
  const seen = /* @__PURE__ */ new Set();
  for (const item of items) {
    const seg = keySegmentFor(item, keys);
    if (!seg) return false;
    const text = keyText(seg);
    if (seen.has(text)) return false;
    seen.add(text);
  }
  return true;
}

// src/core/compare/owned-fields.ts
function desiredStep(value, seg) {
  if (value === void 0 || value === null) return void 0;
  if ("field" in seg)
    return isJsonObject(value) && Object.hasOwn(value, seg.field) ? value[seg.field] : void 0;
  if (!Array.isArray(value)) return void 0;
  if ("index" in seg) return value[seg.index];
  return value.find((i2) => itemMatchesKey(i2, seg.key));
}
function uncoveredFields(entry, live, desired) {
  const out = [];
  walk(entry.root, live, desired, [], entry, out);
  return out;
}
function walk(node, live, desired, path, entry, out) {
  let setReported = false;
  for (const child of node.children) {
    if (child.kind === "value") {
      const inDesired = Array.isArray(desired) && desired.some((d) => jsonEqual(d, child.value));
      const inLive = Array.isArray(live) && live.some((l) => jsonEqual(l, child.value));
      if (!inDesired && inLive && !setReported) {
        out.push({ path: path.slice(), live, entry });
        setReported = true;
      }
      continue;
    }
    const seg = child.kind === "field" ? { field: child.name } : child.kind === "key" ? { key: child.key } : { index: child.index };
    const liveChild = liveStep(live, seg);
    if (liveChild === void 0) continue;
    const desiredChild = desiredStep(desired, seg);
    path.push(seg);
    if (isLeaf(child.node)) {
      if (desiredChild === void 0) out.push({ path: path.slice(), live: liveChild, entry });
    } else if (child.kind !== "field" && child.node.self && desiredChild === void 0) {
      out.push({ path: path.slice(), live: liveChild, entry });
    } else {
      walk(child.node, liveChild, desiredChild, path, entry, out);
    }
    path.pop();
  }
}

// src/core/compare/value-diff.ts
var QUANTITY_PARENTS2 = /* @__PURE__ */ new Set([
  "limits",
  "requests",
  "hard",
  "max",
  "min",
  "default",
  "defaultRequest",
  "maxLimitRequestRatio",
  "capacity",
  "allocatable",
  "overhead"
]);
function isQuantityPath(path) {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (last && "field" in last && last.field === "sizeLimit") return true;
  return parent !== void 0 && "field" in parent && QUANTITY_PARENTS2.has(parent.field);
}
function isEmptyish(v) {
  if (v === void 0 || v === null || v === "" || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isJsonObject(v)) return Object.values(v).every(isEmptyish);
  return false;
}
function scalarsEqual(d, l, path, mode) {
  if (d === l) return true;
  if (mode === "exact") return false;
  if (typeof d === "number" && typeof l === "string" && String(d) === l || typeof d === "string" && typeof l === "number" && d === String(l))
    return true;
  return isQuantityPath(path) && quantitiesEqual(d, l);
}
function diffValues(desired, live, ctx) {
  const out = [];
  walk2(desired, live, [], ctx, out);
  return out;
}
function push(out, path, d, l) {
  const diff = { path: path.slice() };
  if (d !== void 0) diff.desired = d;
  if (l !== void 0) diff.live = l;
  out.push(diff);
}
function walk2(d, l, path, ctx, out) {
  if (ctx.mode === "subset") {
    if (d === void 0) return;
    if (l === void 0) {
      if (d === null || isEmptyish(d) && !ctx.keepsEmpty?.(path)) return;
      push(out, path, d, void 0);
      return;
    }
  } else if (d === void 0 || l === void 0) {
    if (d !== l) push(out, path, d, l);
    return;
  }
  if (isJsonObject(d) && isJsonObject(l)) {
    const keys = ctx.mode === "subset" ? Object.keys(d).sort() : [.../* @__PURE__ */ new Set([...Object.keys(d), ...Object.keys(l)])].sort();
    for (const k of keys) {
      path.push({ field: k });
      walk2(d[k], l[k], path, ctx, out);
      path.pop();
    }
    return;
  }
  if (Array.isArray(d) && Array.isArray(l)) {
    walkList(d, l, path, ctx, out);
    return;
  }
  if (isJsonObject(d) || isJsonObject(l) || Array.isArray(d) || Array.isArray(l)) {
    if (!jsonEqual(d, l)) push(out, path, d, l);
    return;
  }
  if (!scalarsEqual(d, l, path, ctx.mode)) push(out, path, d, l);
}
function walkList(d, l, path, ctx, out) {
  const keys = ctx.listKeys(path, [...d, ...l]);
  if (keys && keysUsable(d, keys) && keysUsable(l, keys)) {
    const liveByKey = /* @__PURE__ */ new Map();
    for (const item of l) {
      const seg = keySegmentFor(item, keys);
      liveByKey.set(keyText(seg), { item, seg });
    }
    for (const item of d) {
      const seg = keySegmentFor(item, keys);
      const text = keyText(seg);
      const twin = liveByKey.get(text);
      liveByKey.delete(text);
      path.push(seg);
      walk2(item, twin?.item, path, ctx, out);
      path.pop();
    }
    if (ctx.mode === "exact")
      for (const x of liveByKey.values()) push(out, [...path, x.seg], void 0, x.item);
    return;
  }
  if (d.length === l.length) {
    d.forEach((item, i2) => {
      path.push({ index: i2 });
      walk2(item, l[i2], path, ctx, out);
      path.pop();
    });
    return;
  }
  push(out, path, d, l);
}

// src/core/compare/autoscaled-replicas.ts
var REPLICAS_PATH = [{ field: "spec" }, { field: "replicas" }];
function replicasLeftToAutoscaler(desired) {
  const out = /* @__PURE__ */ new Set();
  const hpas = desired.filter(isAutoscaler);
  if (hpas.length === 0) return out;
  for (const hpa of hpas) {
    const target = scaleTargetOf(hpa);
    if (!target) continue;
    const namespace = hpa.metadata.namespace;
    for (const obj of desired) {
      if (obj.metadata.namespace !== namespace) continue;
      if (!targets(target, { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name }))
        continue;
      const spec = obj.spec;
      if (isJsonObject(spec) && spec.replicas !== void 0) continue;
      out.add(objectKey(refOf(obj)));
    }
  }
  return out;
}

// src/core/compare/secret-redaction.ts
var SECRET_FIELDS = /* @__PURE__ */ new Set(["data", "stringData"]);
function isSecret(ref) {
  return ref.kind === "Secret" && ref.apiVersion === "v1";
}
function redactValue(v, fp) {
  if (v === void 0) return void 0;
  if (typeof v === "string") return fp(v);
  if (isJsonObject(v)) {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactValue(x, fp) ?? null;
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, fp) ?? null);
  return fp(JSON.stringify(v));
}
function redactSecretField(diff, fp) {
  const first = diff.path.split("/")[1];
  if (first !== void 0 && first !== "" && !SECRET_FIELDS.has(first)) return diff;
  const out = { ...diff, redacted: true };
  const d = redactValue(diff.desired, fp);
  const l = redactValue(diff.live, fp);
  if (d === void 0) delete out.desired;
  else out.desired = d;
  if (l === void 0) delete out.live;
  else out.live = l;
  return out;
}
function secretValueForms(secret) {
  const out = [];
  if (isJsonObject(secret.data)) {
    for (const v of Object.values(secret.data)) {
      if (typeof v !== "string" || v === "") continue;
      out.push(v, Buffer.from(v, "base64").toString("utf8"));
    }
  }
  if (isJsonObject(secret.stringData)) {
    for (const v of Object.values(secret.stringData)) {
      if (typeof v !== "string" || v === "") continue;
      out.push(v, Buffer.from(v, "utf8").toString("base64"));
    }
  }
  return out.filter((v) => v.trim().length >= 3);
}
function scrubSecretValues(text, values2, mask = "<redacted>") {
  const sorted = [...new Set(values2)].sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of sorted) if (out.includes(v)) out = out.split(v).join(mask);
  return out;
}

// src/core/compare/compare-object.ts
function compareObject(input) {
  const { mode, desired, live, predicted, isApplier, isHandManager } = input;
  const liveS = stripServerFields(live);
  const entries = managedFieldsOf(live).filter((e) => e.subresource !== "status");
  const listKeys = (path, items) => keyNamesAt(entries, path, liveS) ?? builtinListKeys(path, items);
  let found;
  if (mode === "server-side" && predicted) {
    found = predicted === live ? [] : diffValues(stripServerFields(predicted), liveS, { mode: "exact", listKeys });
  } else {
    found = diffValues(desired, liveS, {
      mode: "subset",
      listKeys,
      keepsEmpty: dataKeyPath(desired)
    });
  }
  const add = (extra) => {
    const overlaps2 = found.some(
      (f) => pathStartsWith(extra.path, f.path) || pathStartsWith(f.path, extra.path)
    );
    if (!overlaps2) found.push(extra);
  };
  const appliers = entries.filter((e) => isApplier(e.manager));
  const replace = input.sync === "replace";
  for (const entry of entries) {
    const hand = (isHandManager(entry.manager) || replace && !rewritesAfterReplace(entry.manager)) && !isApplier(entry.manager);
    const prunable = mode === "read-only" && isApplier(entry.manager) && entry.operation === "Apply";
    if (!hand && !prunable) continue;
    for (const u of uncoveredFields(entry, liveS, desired)) {
      if (isServerManagedPath(u.path)) continue;
      if (hand && !insideEmptyMap(desired, u.path) && appliers.some((a) => entryOwns(a, u.path, liveS)))
        continue;
      if (prunable && entries.some((o) => o !== entry && entryOwns(o, u.path, liveS))) continue;
      add({ path: u.path, live: u.live, entry });
    }
  }
  if (input.sync === "client-side")
    for (const r of lastAppliedRemovals(live, liveS, desired, listKeys)) add(r);
  const replicasToAutoscaler = !replace && input.replicasLeftToAutoscaler === true && !appliers.some((a) => entryOwns(a, REPLICAS_PATH, liveS));
  const fields = found.filter((f) => !isServerManagedPath(f.path)).filter((f) => !(replicasToAutoscaler && pathStartsWith(f.path, REPLICAS_PATH))).map((f) => ({ f, owner: f.entry ?? ownerOf(entries, f, liveS, isApplier) })).filter(({ f, owner }) => replace || !isAutoscalerWrite(f, owner, isApplier, isHandManager)).map(({ f, owner }) => toFieldDiff(f, owner));
  const redacted = isSecret(live) ? fields.map((f) => redactSecretField(f, input.fingerprint)) : fields;
  return redacted.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}
function insideEmptyMap(desired, path) {
  let v = desired;
  for (const seg of path.slice(0, -1)) {
    v = liveStep(v, seg);
    if (v === void 0) return false;
    if (isJsonObject(v) && Object.keys(v).length === 0) return true;
  }
  return false;
}
function rewritesAfterReplace(manager) {
  return manager === "kube-controller-manager" || manager === "kube-scheduler";
}
function lastAppliedRemovals(live, liveS, desired, listKeys) {
  const text = live.metadata.annotations?.[LAST_APPLIED];
  if (typeof text !== "string") return [];
  let applied;
  try {
    applied = JSON.parse(text);
  } catch {
    return [];
  }
  const out = [];
  for (const d of diffValues(applied, desired, { mode: "subset", listKeys })) {
    if (d.live !== void 0 || isServerManagedPath(d.path)) continue;
    const value = valueAt(liveS, d.path);
    if (value !== void 0) out.push({ path: d.path, live: value });
  }
  return out;
}
function valueAt(root, path) {
  let v = root;
  for (const seg of path) v = liveStep(v, seg);
  return v;
}
function isAutoscalerWrite(diff, owner, isApplier, isHandManager) {
  return owner !== void 0 && owner.subresource === "scale" && !isApplier(owner.manager) && !isHandManager(owner.manager) && formatPath2(diff.path) === "/spec/replicas";
}
function dataKeyPath(obj) {
  const holdsData = (obj.kind === "Secret" || obj.kind === "ConfigMap") && obj.apiVersion === "v1";
  return (path) => {
    const first = path[0];
    return holdsData && path.length === 2 && first !== void 0 && "field" in first && /^(data|binaryData)$/.test(first.field);
  };
}
function ownerOf(entries, diff, live, isApplier) {
  if (diff.live === void 0) return void 0;
  const owners = entries.filter((e) => entryOwns(e, diff.path, live));
  owners.sort((a, b) => {
    const ap = isApplier(a.manager) ? 1 : 0;
    const bp = isApplier(b.manager) ? 1 : 0;
    if (ap !== bp) return ap - bp;
    return (b.time ?? "").localeCompare(a.time ?? "");
  });
  return owners[0];
}
function toFieldDiff(d, owner) {
  const out = { path: formatPath2(d.path) };
  if (d.desired !== void 0) out.desired = d.desired;
  if (d.live !== void 0) out.live = d.live;
  if (owner) {
    out.manager = owner.manager;
    if (owner.time) out.time = owner.time;
    if (owner.operation) out.operation = owner.operation;
  }
  return out;
}

// src/core/compare/compare-region.ts
var TYPE_ORDER = { missing: 0, changed: 1, extra: 2 };
function compareFindings(a, b) {
  const keys = [
    [groupOf2(a.apiVersion), groupOf2(b.apiVersion)],
    [a.kind, b.kind],
    [a.namespace ?? "", b.namespace ?? ""],
    [a.name, b.name]
  ];
  for (const [x, y] of keys) if (x !== y) return x < y ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}
function compareRegionDetailed(input) {
  const findings = [];
  const ignored = [];
  const desiredKeys = /* @__PURE__ */ new Set();
  const twins = [];
  const autoscaled = replicasLeftToAutoscaler(input.desired.map((d) => d.manifest));
  for (const d of input.desired) {
    const key = objectKey(refOf(d.manifest));
    desiredKeys.add(key);
    if (input.unjudged?.has(key)) continue;
    const live = input.live.get(key);
    const base = { ...refOf(d.manifest), type: "missing", fields: [] };
    if (d.source) base.source = d.source;
    if (!live) {
      findings.push(base);
      continue;
    }
    twins.push(live);
    const readOnly = input.compareReadOnly?.has(key) === true;
    const predicted = readOnly ? void 0 : input.predicted?.get(key);
    const sync = input.syncOf?.(d, live) ?? { method: "server-side" };
    const compare = (sides2) => compareObject({
      mode: readOnly ? "read-only" : input.mode,
      desired: sides2.desired,
      live: sides2.live,
      ...sides2.predicted ? { predicted: sides2.predicted } : {},
      isApplier: input.isApplier,
      isHandManager: input.isHandManager,
      fingerprint: input.fingerprint,
      replicasLeftToAutoscaler: autoscaled.has(key),
      sync: sync.method
    });
    const sides = {
      desired: d.comparable,
      live,
      ...predicted ? { predicted } : {}
    };
    const found = compare(sides);
    const rules = input.ignoreDifferences ? rulesFor(input.ignoreDifferences, d.manifest) : [];
    const { kept: fields, hidden } = applyIgnoreDifferences(found, sides, rules, compare);
    for (const h of hidden)
      ignored.push({
        ...refOf(d.manifest),
        path: h.field.path,
        type: "changed",
        rule: h.rule.label,
        ...h.rule.engine ? { engine: h.rule.engine } : {}
      });
    if (fields.length > 0)
      findings.push({
        ...base,
        type: "changed",
        fields,
        ...sync.replaceBy ? { replacedBy: settingLabel(sync.replaceBy) } : {}
      });
  }
  const identity = appIdentity(
    input.desired.map((d) => d.manifest),
    twins
  );
  const claims = statefulSetClaimPatterns(input.desired.map((d) => d.manifest));
  const seen = /* @__PURE__ */ new Set();
  for (const obj of input.candidates) {
    const key = objectKey(refOf(obj));
    if (desiredKeys.has(key) || seen.has(key)) continue;
    seen.add(key);
    if (isExtraCandidate(obj, identity, claims)) {
      const createdBy = creatorOf(obj);
      findings.push({
        ...refOf(obj),
        type: "extra",
        fields: [],
        ...createdBy ? { createdBy } : {}
      });
    }
  }
  return { findings: findings.sort(compareFindings), ignored };
}

// src/core/compare/classify-origin.ts
function changedPaths(before, after, live) {
  const liveS = live ? stripServerFields(live) : void 0;
  const entries = live ? managedFieldsOf(live) : [];
  const listKeys = (path, items) => (liveS ? keyNamesAt(entries, path, liveS) : void 0) ?? builtinListKeys(path, items);
  const keepsEmpty = dataKeyPath(after);
  const paths = /* @__PURE__ */ new Set();
  for (const [a, b] of [
    [before, after],
    [after, before]
  ]) {
    for (const d of diffValues(a, b, { mode: "subset", listKeys, keepsEmpty }))
      paths.add(formatPath2(d.path));
  }
  return [...paths].sort();
}
function pathsOverlap(a, b) {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`) || a === "" || b === "";
}
function removedByPr(findings, input) {
  const reported = new Set(findings.map((f) => objectKey(f)));
  const out = [];
  for (const key of input.base.keys()) {
    if (input.head.has(key) || reported.has(key)) continue;
    const live = input.live.get(key);
    if (live) out.push({ ...refOf(live), type: "extra", fields: [] });
  }
  return out.sort(compareFindings);
}
function classifyOrigins(findings, input) {
  return findings.map((f) => classifyFinding(f, input));
}
function classifyFinding(f, input) {
  const key = objectKey(f);
  const base = input.base.get(key);
  const head = input.head.get(key);
  if (f.type === "missing") {
    return { ...f, origin: base ? "drift" : "pr" };
  }
  if (f.type === "extra") {
    return { ...f, origin: base && !head ? "pr" : "drift" };
  }
  const live = input.live.get(key);
  if (!head || !live) return { ...f, origin: "drift" };
  if (!base) {
    return withFields(
      f,
      f.fields.map((d) => ({ ...d, origin: "both" }))
    );
  }
  const prChanged = changedPaths(base.comparable, head.comparable, live);
  if (prChanged.length === 0) {
    return withFields(
      f,
      f.fields.map((d) => ({ ...d, origin: "drift" }))
    );
  }
  const baseDrift = compareObject({
    mode: "read-only",
    desired: base.comparable,
    live,
    isApplier: input.isApplier,
    isHandManager: input.isHandManager,
    fingerprint: input.fingerprint
  }).map((d) => d.path);
  return withFields(
    f,
    f.fields.map((d) => ({ ...d, origin: fieldOrigin(d, prChanged, baseDrift) }))
  );
}
function fieldOrigin(d, prChanged, baseDrift) {
  if (!prChanged.some((p) => pathsOverlap(p, d.path))) return "drift";
  return baseDrift.some((p) => pathsOverlap(p, d.path)) ? "both" : "pr";
}
function withFields(f, fields) {
  return { ...f, fields, origin: combineOrigins(fields.map((d) => d.origin ?? "drift")) };
}
function combineOrigins(origins) {
  if (origins.length === 0) return "drift";
  return origins.every((o) => o === origins[0]) ? origins[0] : "both";
}

// src/core/normalize/prepare-desired.ts
var ENGINE_LABELS = [
  "app.kubernetes.io/instance",
  "kustomize.toolkit.fluxcd.io/name",
  "kustomize.toolkit.fluxcd.io/namespace"
];
var ENGINE_ANNOTATIONS = [
  "argocd.argoproj.io/tracking-id",
  "argocd.argoproj.io/installation-id"
];
function settleNamespace(obj, namespaced, defaultNamespace) {
  const copy = { ...obj, metadata: { ...obj.metadata } };
  if (namespaced) {
    if (!copy.metadata.namespace) copy.metadata.namespace = defaultNamespace;
  } else delete copy.metadata.namespace;
  return copy;
}
function withEngineMetadata(manifest, live, entries, isApplier) {
  const appliers = entries.filter((e) => isApplier(e.manager));
  let copy;
  for (const [field, keys] of [
    ["labels", ENGINE_LABELS],
    ["annotations", ENGINE_ANNOTATIONS]
  ]) {
    const liveMap = live.metadata[field];
    if (!isJsonObject(liveMap)) continue;
    for (const key of keys) {
      const value = liveMap[key];
      if (typeof value !== "string") continue;
      if (isJsonObject(manifest.metadata[field]) && key in manifest.metadata[field]) continue;
      const path = [{ field: "metadata" }, { field }, { field: key }];
      if (!appliers.some((e) => entryOwns(e, path, live))) continue;
      copy ??= cloneJson(manifest);
      const target = isJsonObject(copy.metadata[field]) ? copy.metadata[field] : {};
      target[key] = value;
      copy.metadata[field] = target;
    }
  }
  return copy ?? manifest;
}
function canonicalBase64(v) {
  const bytes = Buffer.from(v, "base64");
  return bytes.toString("base64").replace(/=+$/, "") === v.replace(/\s+/g, "").replace(/=+$/, "") ? bytes.toString("base64") : v;
}
function comparableForm(manifest) {
  if (manifest.kind !== "Secret" || manifest.apiVersion !== "v1") return manifest;
  const copy = cloneJson(manifest);
  const data = {};
  if (isJsonObject(copy.data)) {
    for (const [k, v] of Object.entries(copy.data))
      data[k] = typeof v === "string" ? canonicalBase64(v) : v;
  }
  if (isJsonObject(copy.stringData)) {
    for (const [k, v] of Object.entries(copy.stringData)) {
      if (typeof v === "string") data[k] = Buffer.from(v, "utf8").toString("base64");
    }
  }
  delete copy.stringData;
  if (Object.keys(data).length > 0) copy.data = data;
  return copy;
}

// src/core/compare/resolve-desired.ts
function resolveDesired(sourced, catalog, defaultNamespace) {
  const objects = [];
  const seen = /* @__PURE__ */ new Map();
  const duplicates = [];
  const notServed = [];
  for (const s of sourced) {
    const resourceType = catalog.find(s.object.apiVersion, s.object.kind);
    if (!resourceType)
      notServed.push(
        `${s.object.apiVersion} ${s.object.kind} is not served by the cluster (CRD not installed?): ${s.object.metadata.name} counts as missing`
      );
    const manifest = settleNamespace(
      s.object,
      resourceType ? resourceType.namespaced : Boolean(s.object.metadata.namespace),
      defaultNamespace
    );
    const key = objectKey(refOf(manifest));
    const before = seen.get(key);
    if (before) {
      duplicates.push(`${describeRef(refOf(manifest))} (${where(before)} and ${where(s)})`);
      continue;
    }
    seen.set(key, s);
    objects.push({
      sourced: s,
      entry: { manifest, comparable: comparableForm(manifest), source: s.source },
      ...resourceType ? { resourceType } : {}
    });
  }
  return { objects, duplicates, notServed };
}
function where(s) {
  return s.line ? `${s.source}:${s.line}` : s.source;
}
function byObjectKey(objects) {
  return new Map(objects.map((o) => [objectKey(refOf(o.entry.manifest)), o.entry]));
}
function addEngineMetadata(objects, live, isApplier) {
  for (const o of objects) {
    const liveObject = live.get(objectKey(refOf(o.entry.manifest)));
    if (!liveObject) continue;
    o.entry.manifest = withEngineMetadata(
      o.entry.manifest,
      liveObject,
      managedFieldsOf(liveObject),
      isApplier
    );
    o.entry.comparable = comparableForm(o.entry.manifest);
  }
}

// src/core/compare/skew-digest.ts
var POD_SPEC_PATHS = [
  ["spec", "template", "spec"],
  ["spec", "jobTemplate", "spec", "template", "spec"]
];
function at(obj, path) {
  let cur = obj;
  for (const p of path) {
    if (!isJsonObject(cur)) return void 0;
    cur = cur[p];
  }
  return cur;
}
function imageFields(desired, live) {
  const out = /* @__PURE__ */ new Map();
  const podPaths = desired.kind === "Pod" && groupOf2(desired.apiVersion) === "" ? [["spec"]] : POD_SPEC_PATHS;
  for (const base of podPaths) {
    for (const list of ["initContainers", "containers"]) {
      const images = (obj) => {
        const items = at(obj, [...base, list]);
        const byName = /* @__PURE__ */ new Map();
        if (Array.isArray(items)) {
          for (const c of items)
            if (isJsonObject(c) && typeof c.name === "string") byName.set(c.name, c.image);
        }
        return byName;
      };
      const d = images(desired);
      const l = images(live);
      if (d.size === 0 && l.size === 0) continue;
      const prefix = formatPath2([...base.map((field) => ({ field })), { field: list }]);
      for (const name of /* @__PURE__ */ new Set([...d.keys(), ...l.keys()]))
        out.set(`${prefix}/${formatSegment({ key: { name } })}/image`, [d.get(name), l.get(name)]);
    }
  }
  return out;
}
function configMapFields(desired, live) {
  const out = /* @__PURE__ */ new Map();
  for (const field of ["data", "binaryData"]) {
    const d = isJsonObject(desired[field]) ? desired[field] : {};
    const l = isJsonObject(live[field]) ? live[field] : {};
    for (const key of /* @__PURE__ */ new Set([...Object.keys(d), ...Object.keys(l)]))
      out.set(formatPath2([{ field }, { field: key }]), [d[key], l[key]]);
  }
  return out;
}
function overlaps(a, b) {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
function buildSkewDigest(input) {
  const findings = /* @__PURE__ */ new Map();
  for (const f of input.findings) if (f.type === "changed") findings.set(objectKey(f), f);
  const hidden = /* @__PURE__ */ new Map();
  for (const i2 of input.ignored) {
    const key = objectKey(i2);
    hidden.set(key, [...hidden.get(key) ?? [], i2.path]);
  }
  const same2 = [];
  const differs = [];
  for (const { desired, live } of input.compared) {
    if (isSecret(desired)) continue;
    const key = objectKey(refOf(desired));
    const hiddenPaths = hidden.get(key) ?? [];
    if (hiddenPaths.includes("")) continue;
    const values2 = new Map(
      imageFields(desired, live)
    );
    if (desired.kind === "ConfigMap" && desired.apiVersion === "v1")
      for (const [p, v] of configMapFields(desired, live)) values2.set(p, v);
    const byPr = [];
    for (const d of findings.get(key)?.fields ?? []) {
      if (d.redacted) continue;
      if (d.origin === "pr") byPr.push(d.path);
      else values2.set(d.path, [d.desired, d.live]);
    }
    const ref = refOf(desired);
    for (const path of [...values2.keys()].sort()) {
      if (hiddenPaths.some((h) => overlaps(h, path))) continue;
      if (byPr.some((p) => overlaps(p, path))) continue;
      const [gitValue, liveValue] = values2.get(path);
      const git2 = encodeSkewValue(gitValue);
      const actual = encodeSkewValue(liveValue);
      if (git2.key === actual.key) same2.push(skewFingerprint(ref, path, git2.key));
      else differs.push({ ...ref, path, desired: git2.value, live: actual.value });
    }
  }
  const order = (f) => [groupOf2(f.apiVersion), f.kind, f.namespace ?? "", f.name];
  differs.sort((a, b) => {
    const ka = order(a);
    const kb = order(b);
    for (let i2 = 0; i2 < ka.length; i2++) if (ka[i2] !== kb[i2]) return ka[i2] < kb[i2] ? -1 : 1;
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  });
  return { same: same2.sort().join(""), differs };
}

// src/core/compare/region-verdict.ts
function regionVerdict(input) {
  const compared = compareRegionDetailed({
    mode: input.mode,
    desired: input.desired.map((o) => o.entry),
    // An object the server refused to dry-run has no verdict; it is reported as an error.
    unjudged: input.unjudged,
    compareReadOnly: new Set(input.refused.keys()),
    live: input.live,
    predicted: input.predicted,
    candidates: input.candidates,
    isApplier: input.isApplier,
    isHandManager: input.isHandManager,
    fingerprint: input.fingerprint,
    ignoreDifferences: input.ignoreDifferences,
    syncOf: (d, live) => enginesFor(live, input.engine, input.fieldManager).includes("argocd") ? argoSyncMethod(d.manifest, live, input.appSyncOptions, input.isApplier) : { method: "server-side" }
  });
  const found = compared.findings;
  const objectErrors = [...input.objectErrors];
  for (const [key, message] of input.refused) {
    if (!found.some((f) => f.type === "changed" && objectKey(f) === key))
      objectErrors.push(`${message.split("\n")[0]} (the server refused the dry-run apply)`);
  }
  const versions = input.base ? { head: byObjectKey(input.desired), base: byObjectKey(input.base), live: input.live } : void 0;
  const all = versions ? [...found, ...removedByPr(found, versions)].sort(compareFindings) : found;
  const liveByKey = new Map(input.live);
  for (const obj of input.candidates) liveByKey.set(objectKey(refOf(obj)), obj);
  const manifests = /* @__PURE__ */ new Map();
  for (const o of [...input.base ?? [], ...input.desired])
    manifests.set(objectKey(refOf(o.entry.manifest)), o.entry.manifest);
  const bySettings = applyEngineAnnotations(all, {
    desired: manifests,
    live: liveByKey,
    enginesFor: (key) => enginesFor(liveByKey.get(key), input.engine, input.fieldManager),
    isApplier: input.isApplier
  });
  const byRules = applyIgnoreRules(bySettings.findings, input.rules, input.region);
  const kept = byRules.findings;
  const ignored = [...compared.ignored, ...bySettings.ignored, ...byRules.ignored];
  const classified = versions ? classifyOrigins(kept, {
    ...versions,
    isApplier: input.isApplier,
    isHandManager: input.isHandManager,
    fingerprint: input.fingerprint
  }) : kept;
  const findings = assessRisks(classified, input.mode, (f) => {
    const key = objectKey(f);
    const liveObject = liveByKey.get(key);
    return {
      ...liveObject ? { live: liveObject } : {},
      refusedAsImmutable: input.refused.has(key)
    };
  });
  const verdict = { status: "in-sync", findings };
  if (ignored.length > 0) verdict.ignored = ignored;
  const digest = buildSkewDigest({
    compared: input.desired.flatMap((o) => {
      const key = objectKey(refOf(o.entry.manifest));
      const liveObject = input.live.get(key);
      return liveObject && !input.unjudged.has(key) ? [{ desired: o.entry.comparable, live: liveObject }] : [];
    }),
    findings,
    ignored
  });
  if (digest.same !== "" || digest.differs.length > 0) verdict.skewDigest = digest;
  if (objectErrors.length > 0) {
    verdict.status = "error";
    verdict.error = `${count(objectErrors.length, "object")} could not be compared:
${objectErrors.sort().join("\n")}`;
  } else {
    verdict.status = findings.some(isDriftFinding) ? "drift" : "in-sync";
  }
  return verdict;
}

// src/core/engine/flux-apply-form.ts
function podSpec(...at2) {
  return [
    [...at2, "containers", "*", "resources"],
    [...at2, "initContainers", "*", "resources"]
  ];
}
var CLAIM_TEMPLATES = [
  ["spec", "volumeClaimTemplates", "*", "spec"],
  ["spec", "volumeClaimTemplates", "*", "spec", "resources"],
  ["spec", "volumeClaimTemplates", "*", "status"]
];
var EMPTY_STRUCTS = {
  "v1/Namespace": [["spec"]],
  "v1/Service": [["spec"]],
  "v1/PersistentVolumeClaim": [["spec"], ["spec", "resources"]],
  "v1/Pod": [["spec"], ...podSpec("spec")],
  "apps/v1/Deployment": [["spec"], ["spec", "strategy"], ...podSpec("spec", "template", "spec")],
  "apps/v1/StatefulSet": [
    ["spec"],
    ["spec", "updateStrategy"],
    ...podSpec("spec", "template", "spec"),
    ...CLAIM_TEMPLATES
  ],
  "apps/v1/DaemonSet": [
    ["spec"],
    ["spec", "updateStrategy"],
    ...podSpec("spec", "template", "spec")
  ],
  "apps/v1/ReplicaSet": [["spec"], ...podSpec("spec", "template", "spec")],
  "batch/v1/Job": [["spec"], ...podSpec("spec", "template", "spec")],
  "batch/v1/CronJob": [
    ["spec"],
    ["spec", "jobTemplate", "spec"],
    ...podSpec("spec", "jobTemplate", "spec", "template", "spec")
  ],
  "networking.k8s.io/v1/NetworkPolicy": [["spec"], ["spec", "podSelector"]],
  "networking.k8s.io/v1/Ingress": [["spec"]],
  "policy/v1/PodDisruptionBudget": [["spec"]]
};
function fluxApplyForm(desired, live) {
  const patterns = EMPTY_STRUCTS[`${desired.apiVersion}/${desired.kind}`];
  if (!patterns) return desired;
  const copy = cloneJson(desired);
  for (const pattern of patterns) addEmpty(copy, live, pattern);
  return JSON.stringify(copy) === JSON.stringify(desired) ? desired : copy;
}
function addEmpty(desired, live, pattern) {
  const [head, ...rest] = pattern;
  if (head === void 0) return;
  if (head === "*") {
    if (!Array.isArray(desired)) return;
    const liveItems = Array.isArray(live) ? live : [];
    desired.forEach((item, i2) => addEmpty(item, matchingItem(item, liveItems, i2), rest));
    return;
  }
  if (!isJsonObject(desired)) return;
  const liveChild = isJsonObject(live) ? live[head] : void 0;
  if (rest.length === 0) {
    if (desired[head] === void 0 && isJsonObject(liveChild)) desired[head] = {};
    return;
  }
  const child = desired[head];
  if (child !== void 0) addEmpty(child, liveChild, rest);
}
function matchingItem(item, liveItems, index2) {
  const name = isJsonObject(item) ? item.name : void 0;
  if (typeof name === "string") return liveItems.find((l) => isJsonObject(l) && l.name === name);
  return liveItems[index2];
}
function addFluxApplyForm(objects, live, enginesOf) {
  for (const o of objects) {
    const liveObject = live.get(objectKey(refOf(o.entry.manifest)));
    if (!liveObject) continue;
    const engines = enginesOf(liveObject);
    if (engines.length !== 1 || engines[0] !== "flux") continue;
    o.entry.comparable = fluxApplyForm(o.entry.comparable, liveObject);
  }
}

// src/adapters/kube/cluster-access.ts
import { readFileSync as readFileSync2 } from "node:fs";

// src/adapters/kube/exec-credential.ts
import { spawn } from "node:child_process";
var ExecCredentialError = class extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
    this.name = "ExecCredentialError";
  }
  hint;
};
var PLUGIN_TIMEOUT_MS = 12e4;
var cache2 = /* @__PURE__ */ new Map();
function execCredential(user, cluster) {
  const key = JSON.stringify([user.name, user.exec, cluster.server]);
  const cached2 = cache2.get(key);
  if (cached2) {
    return cached2.then(
      (c) => c.expires !== void 0 && c.expires <= Date.now() + 1e4 ? fresh(key, user.exec, cluster) : c
    );
  }
  return fresh(key, user.exec, cluster);
}
function fresh(key, exec, cluster) {
  const pending = runPlugin(exec, cluster);
  cache2.set(key, pending);
  pending.catch(() => cache2.delete(key));
  return pending;
}
function runPlugin(exec, cluster) {
  const what = `the kubeconfig's exec plugin \`${exec.command}\``;
  if (exec.interactiveMode === "Always") {
    return Promise.reject(
      new ExecCredentialError(
        `${what} needs an interactive terminal (interactiveMode: Always), which a drift check does not have`,
        "Log in first so the plugin has a cached credential, or use a kubeconfig with a token or certificate."
      )
    );
  }
  const info = {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec: {
      interactive: false,
      ...exec.provideClusterInfo ? {
        cluster: {
          server: cluster.server,
          ...cluster.tlsServerName ? { "tls-server-name": cluster.tlsServerName } : {},
          ...cluster.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {},
          ...cluster.certificateAuthorityData ? {
            "certificate-authority-data": cluster.certificateAuthorityData.toString("base64")
          } : {},
          ...cluster.proxyUrl ? { "proxy-url": cluster.proxyUrl } : {}
        }
      } : {}
    }
  };
  const env = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of exec.env) env[e.name] = e.value;
  return new Promise((done, fail) => {
    const child = spawn(exec.command, exec.args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: PLUGIN_TIMEOUT_MS
    });
    const out = [];
    let errBytes = 0;
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => errBytes += d.length);
    child.on("error", (e) => {
      fail(
        new ExecCredentialError(
          e.code === "ENOENT" ? `${what} was not found` : `${what} could not be started (${e.code ?? e.message})`,
          exec.installHint?.trim() || "Install the plugin, or put it on PATH."
        )
      );
    });
    child.on("close", (code, signal) => {
      if (code !== 0) {
        fail(
          new ExecCredentialError(
            `${what} failed (${signal ? `killed by ${signal}` : `exit code ${code}`}${errBytes ? "; its error output is not shown, as it may hold credentials" : ""})`,
            `Run the plugin by hand to see why (e.g. an expired login).`
          )
        );
        return;
      }
      try {
        done(readCredential(Buffer.concat(out).toString("utf8")));
      } catch (e) {
        fail(
          new ExecCredentialError(
            `${what} printed no usable ExecCredential: ${e.message}`
          )
        );
      }
    });
  });
}
function readCredential(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("its output is not JSON");
  }
  const status = doc?.status;
  if (typeof status !== "object" || status === null) throw new Error("it has no status");
  const s = status;
  const out = {};
  if (typeof s.token === "string" && s.token !== "") out.token = s.token;
  if (typeof s.clientCertificateData === "string" && typeof s.clientKeyData === "string") {
    out.clientCertificate = s.clientCertificateData;
    out.clientKey = s.clientKeyData;
  }
  if (out.token === void 0 && out.clientCertificate === void 0)
    throw new Error("its status has neither a token nor a client certificate and key");
  if (typeof s.expirationTimestamp === "string") {
    const t = Date.parse(s.expirationTimestamp);
    if (Number.isFinite(t)) out.expires = t;
  }
  return out;
}

// src/adapters/kube/proxy-rules.ts
import { domainToASCII } from "node:url";
var ProxySettingError = class extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
    this.name = "ProxySettingError";
  }
  hint;
};
var DEFAULT_PORTS = { http: 80, https: 443, socks5: 1080 };
function chooseProxy(server, proxyUrl, env) {
  if (proxyUrl !== void 0 && proxyUrl !== "") return parseKubeconfigProxy(proxyUrl);
  return proxyFromEnvironment(new URL(server), env);
}
function parseKubeconfigProxy(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new ProxySettingError(
      `the cluster's proxy-url is not a URL (expected e.g. "http://proxy.example.com:3128")`,
      "Fix proxy-url in the kubeconfig: scheme, host and port, with an optional user:password@."
    );
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https" && scheme !== "socks5")
    throw new ProxySettingError(
      `the cluster's proxy-url has the scheme "${scheme}"; kubectl and mr-drift support http, https and socks5`,
      "Fix proxy-url in the kubeconfig."
    );
  return proxyOf(url, scheme, "proxy-url");
}
function proxyFromEnvironment(server, env) {
  const https2 = server.protocol === "https:";
  const [name, value] = firstSet(
    env,
    https2 ? ["HTTPS_PROXY", "https_proxy"] : ["HTTP_PROXY", "http_proxy"]
  );
  if (value === void 0) return void 0;
  const url = parseLoose(value);
  if (!url) return void 0;
  if (!https2 && env.REQUEST_METHOD)
    throw new ProxySettingError(
      `${name} is refused in a CGI process (REQUEST_METHOD is set), as Go refuses it there`,
      "Unset REQUEST_METHOD, or set proxy-url on the cluster in the kubeconfig."
    );
  const port = server.port || (https2 ? "443" : "80");
  if (!useProxy(hostOf(server), port, firstSet(env, ["NO_PROXY", "no_proxy"])[1] ?? ""))
    return void 0;
  let scheme = url.protocol.slice(0, -1);
  if (scheme === "socks5h") scheme = "socks5";
  if (scheme !== "http" && scheme !== "https" && scheme !== "socks5")
    throw new ProxySettingError(
      `${name} names a proxy with the scheme "${scheme}"; mr-drift supports http, https, socks5 and socks5h proxies`,
      `Fix ${name}, or list the cluster's host in NO_PROXY to connect directly.`
    );
  return proxyOf(url, scheme, name);
}
function firstSet(env, names) {
  for (const n of names) {
    const v = env[n];
    if (v !== void 0 && v !== "") return [n, v];
  }
  return [void 0, void 0];
}
function parseLoose(value) {
  try {
    const url = new URL(value);
    if (url.protocol !== ":" && url.host !== "") return url;
  } catch {
  }
  try {
    return new URL(`http://${value}`);
  } catch {
    return void 0;
  }
}
function proxyOf(url, scheme, source) {
  const host = hostOf(url);
  if (host === "")
    throw new ProxySettingError(
      `the proxy in ${source === "proxy-url" ? "the cluster's proxy-url" : source} names no host`,
      `Fix ${source === "proxy-url" ? "proxy-url in the kubeconfig" : source}: e.g. http://proxy.example.com:3128.`
    );
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    scheme,
    host,
    port,
    ...url.username !== "" || url.password !== "" ? {
      credentials: {
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password)
      }
    } : {},
    shown: `${scheme}://${shownHost}:${port}`,
    source
  };
}
function hostOf(url) {
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}
function useProxy(host, port, noProxy) {
  if (host === "localhost") return false;
  const ip = parseIp(host);
  if (ip && isLoopback(ip)) return false;
  for (const raw of noProxy.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return false;
    const cidr = parseCidr(entry);
    if (cidr) {
      if (ip && inCidr(ip, cidr)) return false;
      continue;
    }
    const split = splitHostPort(entry) ?? [entry, ""];
    const entryPort = split[1];
    let entryHost = split[0];
    if (entryHost.startsWith("[") && entryHost.endsWith("]")) entryHost = entryHost.slice(1, -1);
    const entryIp = parseIp(entryHost);
    if (entryIp) {
      if (ip && sameIp(ip, entryIp) && (entryPort === "" || entryPort === port)) return false;
      continue;
    }
    if (entryHost === "") continue;
    if (ip) continue;
    if (entryHost.startsWith("*.")) entryHost = entryHost.slice(1);
    if ([...entryHost].some((ch) => ch.charCodeAt(0) > 127))
      entryHost = domainToASCII(entryHost) || entryHost;
    const matchesItself = !entryHost.startsWith(".");
    const suffix = matchesItself ? `.${entryHost}` : entryHost;
    if ((host.endsWith(suffix) || matchesItself && host === suffix.slice(1)) && (entryPort === "" || entryPort === port))
      return false;
  }
  return true;
}
function splitHostPort(s) {
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0 || s[end + 1] !== ":") return void 0;
    return [s.slice(1, end), s.slice(end + 2)];
  }
  const colon = s.lastIndexOf(":");
  if (colon < 0 || s.indexOf(":") !== colon) return void 0;
  return [s.slice(0, colon), s.slice(colon + 1)];
}
function parseIp(s) {
  const v4 = parseIpv4(s);
  if (v4) return v4;
  const v6 = parseIpv6(s);
  if (!v6) return void 0;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 255 && v6[11] === 255;
  return mapped ? v6.slice(12) : v6;
}
function parseIpv4(s) {
  const parts = s.split(".");
  if (parts.length !== 4) return void 0;
  const bytes = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return void 0;
    bytes.push(Number(p));
  }
  return bytes;
}
function parseIpv6(s) {
  if (!s.includes(":")) return void 0;
  const halves = s.split("::");
  if (halves.length > 2) return void 0;
  const groups = (part) => {
    if (part === "") return [];
    const out = [];
    const pieces = part.split(":");
    for (const [i2, piece] of pieces.entries()) {
      if (i2 === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4) return void 0;
        out.push(v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]);
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(piece)) return void 0;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return void 0;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return void 0;
  const all = [...head, ...Array(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 255]);
}
function isLoopback(ip) {
  if (ip.length === 4) return ip[0] === 127;
  return ip.slice(0, 15).every((b) => b === 0) && ip[15] === 1;
}
function sameIp(a, b) {
  return a.length === b.length && a.every((x, i2) => x === b[i2]);
}
function parseCidr(s) {
  const slash = s.indexOf("/");
  if (slash < 0) return void 0;
  const address = s.slice(0, slash);
  const prefix = s.slice(slash + 1);
  const ip = parseIpv4(address) ?? parseIpv6(address);
  if (!ip || !/^\d+$/.test(prefix)) return void 0;
  const bits = Number(prefix);
  if (bits > ip.length * 8) return void 0;
  return { network: ip, bits };
}
function inCidr(ip, cidr) {
  const address = ip;
  let { bits } = cidr;
  let network = cidr.network;
  if (network.length === 16 && address.length === 4) {
    const mapped = network.slice(0, 10).every((b) => b === 0) && network[10] === 255 && network[11] === 255;
    if (!mapped) return false;
    network = network.slice(12);
    bits = Math.max(0, bits - 96);
  }
  if (network.length !== address.length) return false;
  for (let i2 = 0; i2 < bits; i2++) {
    const mask = 128 >> i2 % 8;
    if ((network[i2 >> 3] & mask) !== (address[i2 >> 3] & mask)) return false;
  }
  return true;
}

// src/adapters/kube/cluster-access.ts
async function resolveAccess(kc, contextName, env = process.env) {
  const context = kc.contexts.get(contextName);
  if (!context) {
    const known = kc.contextNames();
    throw new ClusterAccessError(
      `kubeconfig has no context named "${contextName}"`,
      (say) => `Pass ${say.setting("context", "REGION=CONTEXT")}; contexts in the kubeconfig: ${known.length ? known.join(", ") : "(none)"}.`
    );
  }
  const cluster = kc.clusters.get(context.cluster);
  if (!cluster)
    throw new ClusterAccessError(
      `context "${contextName}" names cluster "${context.cluster}", which the kubeconfig does not define`
    );
  if (context.user !== void 0 && !kc.users.has(context.user))
    throw new ClusterAccessError(
      `context "${contextName}" names user "${context.user}", which the kubeconfig does not define`
    );
  const user = context.user ? kc.users.get(context.user) : { name: "(no user)" };
  const namespace = context.namespace ?? "default";
  let proxy;
  try {
    proxy = chooseProxy(cluster.server, cluster.proxyUrl, env);
  } catch (e) {
    if (!(e instanceof ProxySettingError)) throw e;
    throw new ClusterAccessError(
      `cannot use the proxy for context "${contextName}": ${e.message}`,
      e.hint
    );
  }
  const what = `the credentials of context "${contextName}"`;
  try {
    const access = user.authProvider ? await viaClientNode(cluster, user, namespace) : await direct(cluster, user, namespace);
    return proxy ? { ...access, proxy } : access;
  } catch (e) {
    if (e instanceof ClusterAccessError) throw e;
    if (e instanceof ExecCredentialError)
      throw new ClusterAccessError(`cannot load ${what}: ${e.message}`, e.hint);
    throw new ClusterAccessError(`cannot load ${what}: ${e.message}`);
  }
}
function readFile4(file, field) {
  try {
    return readFileSync2(file);
  } catch (e) {
    throw new ClusterAccessError(
      `cannot read ${field} ${file} (${e.code ?? e.message})`,
      "Fix the path in the kubeconfig (relative paths are relative to the kubeconfig file)."
    );
  }
}
async function direct(cluster, user, namespace) {
  const tls2 = { rejectUnauthorized: !cluster.insecureSkipTlsVerify };
  if (!cluster.insecureSkipTlsVerify) {
    if (cluster.certificateAuthority)
      tls2.ca = readFile4(cluster.certificateAuthority, "certificate-authority");
    else if (cluster.certificateAuthorityData) tls2.ca = cluster.certificateAuthorityData;
  }
  if (cluster.tlsServerName) tls2.servername = cluster.tlsServerName;
  if (user.clientCertificate) tls2.cert = readFile4(user.clientCertificate, "client-certificate");
  else if (user.clientCertificateData) tls2.cert = user.clientCertificateData;
  if (user.clientKey) tls2.key = readFile4(user.clientKey, "client-key");
  else if (user.clientKeyData) tls2.key = user.clientKeyData;
  const headers = {};
  let token = user.token;
  if (!token && user.tokenFile)
    token = readFile4(user.tokenFile, "tokenFile").toString("utf8").trim();
  if (user.exec) {
    const credential = await execCredential({ ...user, exec: user.exec }, cluster);
    if (credential.token) token = credential.token;
    if (credential.clientCertificate && credential.clientKey) {
      tls2.cert = credential.clientCertificate;
      tls2.key = credential.clientKey;
    }
  }
  if (token) headers.authorization = `Bearer ${token}`;
  else if (user.username !== void 0)
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
  if (user.as) headers["impersonate-user"] = user.as;
  if (user.asGroups) headers["impersonate-group"] = user.asGroups;
  if (user.asUid) headers["impersonate-uid"] = user.asUid;
  return { server: cluster.server, namespace, user: user.name, headers, tls: tls2 };
}
async function viaClientNode(cluster, user, namespace) {
  const { clientNodeOptions } = await import("./client-node-auth-GNYZ6UDF.js");
  const opts = await clientNodeOptions(cluster, user, namespace);
  const headers = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  if (user.tokenFile && !headers.authorization)
    headers.authorization = `Bearer ${readFile4(user.tokenFile, "tokenFile").toString("utf8").trim()}`;
  const tls2 = {
    rejectUnauthorized: opts.rejectUnauthorized ?? !cluster.insecureSkipTlsVerify,
    ...opts.ca ? { ca: opts.ca } : {},
    ...opts.cert ? { cert: opts.cert } : {},
    ...opts.key ? { key: opts.key } : {},
    ...opts.servername ? { servername: opts.servername } : {}
  };
  return { server: cluster.server, namespace, user: user.name, headers, tls: tls2 };
}

// src/adapters/kube/transport.ts
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import tls, { createSecureContext } from "node:tls";

// src/adapters/kube/proxy-tunnel.ts
import { connect as netConnect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
var ProxyTunnelError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "ProxyTunnelError";
  }
  code;
};
var MAX_CONNECT_HEAD = 64 * 1024;
function openProxyTunnel(proxy, host, port, timeoutMs, proxyTls) {
  return new Promise((done, fail) => {
    let settled = false;
    const finish = (err, socket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        raw.destroy();
        fail(err);
      } else done(socket);
    };
    const raw = proxy.scheme === "https" ? tlsConnect({
      host: proxy.host,
      port: proxy.port,
      ...isIP(proxy.host) ? {} : { servername: proxy.host },
      ...proxyTls
    }) : netConnect(proxy.port, proxy.host);
    const timer = setTimeout(
      () => finish(
        new ProxyTunnelError(
          "ProxyTimeout",
          `the proxy opened no connection to ${hostPort(host, port)} within ${timeoutMs / 1e3} s`
        )
      ),
      timeoutMs
    );
    raw.once(
      "error",
      (e) => finish(
        new ProxyTunnelError(
          "ProxyUnreachable",
          `cannot connect to the proxy (${e.code ?? e.message})`
        )
      )
    );
    raw.once(proxy.scheme === "https" ? "secureConnect" : "connect", () => {
      const handshake = proxy.scheme === "socks5" ? socks5Connect(raw, proxy, host, port) : httpConnect(raw, proxy, host, port);
      handshake.then(
        () => finish(void 0, raw),
        (e) => finish(e)
      );
    });
  });
}
function hostPort(host, port) {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
function readUntil(socket, enough, limit) {
  return new Promise((done, fail) => {
    let data = Buffer.alloc(0);
    const onData = (chunk) => {
      data = Buffer.concat([data, chunk]);
      const used = enough(data);
      if (used !== void 0) {
        cleanup();
        if (used < data.length) socket.unshift(data.subarray(used));
        done(data.subarray(0, used));
      } else if (data.length > limit) {
        cleanup();
        fail(new ProxyTunnelError("ProxyRefused", "the proxy sent an answer too long to read"));
      }
    };
    const onEnd = () => {
      cleanup();
      fail(
        new ProxyTunnelError("ProxyRefused", "the proxy closed the connection without an answer")
      );
    };
    const onError = (e) => {
      cleanup();
      fail(
        new ProxyTunnelError(
          "ProxyUnreachable",
          `the connection to the proxy failed (${e.code ?? e.message})`
        )
      );
    };
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      socket.pause();
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.once("error", onError);
    socket.resume();
  });
}
async function httpConnect(socket, proxy, host, port) {
  const target = hostPort(host, port);
  const auth = proxy.credentials ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.credentials.user}:${proxy.credentials.password}`).toString("base64")}\r
` : "";
  socket.write(`CONNECT ${target} HTTP/1.1\r
Host: ${target}\r
${auth}\r
`);
  const head = await readUntil(
    socket,
    (data) => {
      const end = data.indexOf("\r\n\r\n");
      return end < 0 ? void 0 : end + 4;
    },
    MAX_CONNECT_HEAD
  );
  const statusLine = head.toString("latin1").split("\r\n")[0];
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m)
    throw new ProxyTunnelError(
      "ProxyRefused",
      "the proxy did not answer the CONNECT request in HTTP"
    );
  const status = Number(m[1]);
  if (status === 200) return;
  const answer = `${status}${m[2] ? ` ${m[2].slice(0, 100)}` : ""}`;
  if (status === 407)
    throw new ProxyTunnelError(
      "ProxyAuthentication",
      `the proxy asks for credentials (${answer})${proxy.credentials ? " and refused the ones given" : ""}`
    );
  throw new ProxyTunnelError(
    "ProxyRefused",
    `the proxy refused the tunnel to ${target} (${answer})`
  );
}
var SOCKS_REPLIES = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported"
};
async function socks5Connect(socket, proxy, host, port) {
  const exactly = (n) => (data) => data.length >= n ? n : void 0;
  socket.write(Buffer.from(proxy.credentials ? [5, 2, 0, 2] : [5, 1, 0]));
  const [version, method] = await readUntil(socket, exactly(2), 2);
  if (version !== 5)
    throw new ProxyTunnelError("ProxyRefused", "the proxy does not speak SOCKS version 5");
  if (method === 2 && proxy.credentials) {
    const user = Buffer.from(proxy.credentials.user);
    const password = Buffer.from(proxy.credentials.password);
    if (user.length > 255 || password.length > 255)
      throw new ProxyTunnelError(
        "ProxyAuthentication",
        "the SOCKS user or password is longer than 255 bytes"
      );
    socket.write(
      Buffer.concat([
        Buffer.from([1, user.length]),
        user,
        Buffer.from([password.length]),
        password
      ])
    );
    const [, status] = await readUntil(socket, exactly(2), 2);
    if (status !== 0)
      throw new ProxyTunnelError(
        "ProxyAuthentication",
        "the SOCKS proxy refused the user and password"
      );
  } else if (method !== 0) {
    throw new ProxyTunnelError(
      "ProxyAuthentication",
      method === 255 ? `the SOCKS proxy accepts none of the offered methods (${proxy.credentials ? "none, user/password" : "none; it may want a user and password"})` : `the SOCKS proxy chose an authentication method mr-drift does not offer (${method})`
    );
  }
  socket.write(
    Buffer.concat([
      Buffer.from([5, 1, 0]),
      socksAddress(host),
      Buffer.from([port >> 8, port & 255])
    ])
  );
  const reply = await readUntil(
    socket,
    (data) => {
      if (data.length < 5) return void 0;
      const length2 = data[3] === 1 ? 4 : data[3] === 4 ? 16 : data[3] === 3 ? 1 + data[4] : 0;
      const total = 4 + length2 + 2;
      return data.length >= total ? total : void 0;
    },
    262
  );
  if (reply[1] !== 0)
    throw new ProxyTunnelError(
      "ProxyRefused",
      `the SOCKS proxy could not connect to ${hostPort(host, port)}: ${SOCKS_REPLIES[reply[1]] ?? `reply ${reply[1]}`}`
    );
}
function socksAddress(host) {
  const family = isIP(host);
  if (family === 4) return Buffer.from([1, ...host.split(".").map(Number)]);
  if (family === 6) {
    const groups = expandIpv6(host);
    return Buffer.from([4, ...groups.flatMap((g) => [g >> 8, g & 255])]);
  }
  const name = Buffer.from(host);
  return Buffer.concat([Buffer.from([3, name.length]), name]);
}
function expandIpv6(host) {
  const [head, tail] = host.includes("::") ? host.split("::") : [host, void 0];
  const parse = (part) => {
    if (!part) return [];
    return part.split(":").flatMap((p) => {
      if (!p.includes(".")) return [parseInt(p, 16)];
      const [a, b, c, d] = p.split(".").map(Number);
      return [a << 8 | b, c << 8 | d];
    });
  };
  const h = parse(head);
  const t = parse(tail);
  return [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

// src/adapters/kube/transport.ts
var TransportError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "TransportError";
  }
  code;
};
function openTransport(access, connections) {
  const url = new URL(access.server);
  if (url.protocol === "http:") return plainHttpTransport(url, access, connections);
  return new NegotiatingTransport(url, access, connections);
}
function plainHttpTransport(url, access, connections) {
  const { proxy } = access;
  const pool = { keepAlive: true, maxSockets: connections };
  if (!proxy) return new Http1Transport(url, access, new http.Agent(pool));
  if (proxy.scheme === "socks5")
    return new Http1Transport(url, access, new TunnelAgent(url, access, pool));
  const proxyAgent = proxy.scheme === "https" ? new https.Agent({ ...pool, ...proxyTrust(access) }) : new http.Agent(pool);
  return new Http1Transport(url, access, proxyAgent, proxy);
}
function proxyTrust(access) {
  return {
    rejectUnauthorized: access.tls.rejectUnauthorized,
    ...access.tls.ca !== void 0 ? { ca: access.tls.ca } : {}
  };
}
function throughProxy(proxy) {
  const where2 = proxy.source === "proxy-url" ? "the cluster's proxy-url in the kubeconfig" : proxy.source;
  return `through the proxy ${proxy.shown} (${where2})`;
}
function hostAndPort(url) {
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || (url.protocol === "http:" ? 80 : 443))
  };
}
async function tunnelTo(url, access, proxy, timeoutMs) {
  const { host, port } = hostAndPort(url);
  try {
    return await openProxyTunnel(proxy, host, port, timeoutMs, proxyTrust(access));
  } catch (e) {
    if (!(e instanceof ProxyTunnelError)) throw e;
    throw new TransportError(
      e.code,
      `cannot reach ${url.origin} ${throughProxy(proxy)}: ${e.message}`
    );
  }
}
var TunnelAgent = class extends https.Agent {
  constructor(url, access, options) {
    super(options);
    this.url = url;
    this.access = access;
    if (url.protocol === "http:") this.protocol = "http:";
  }
  url;
  access;
  createConnection(options, callback) {
    const timeoutMs = this.options.timeout ?? 3e4;
    tunnelTo(this.url, this.access, this.access.proxy, timeoutMs).then(
      (socket) => {
        if (this.url.protocol === "http:") return callback?.(null, socket);
        callback?.(null, tls.connect({ ...options, socket }));
      },
      (e) => callback?.(e, void 0)
    );
    return void 0;
  }
};
function errorCode(e) {
  const err = e;
  return err.code ?? err.name ?? "Error";
}
function secureContextOf(access) {
  const { ca, cert, key } = access.tls;
  return createSecureContext({
    ...ca !== void 0 ? { ca } : {},
    ...cert !== void 0 ? { cert } : {},
    ...key !== void 0 ? { key } : {}
  });
}
var NegotiatingTransport = class {
  constructor(url, access, connections) {
    this.url = url;
    this.access = access;
    this.connections = connections;
    this.secureContext = secureContextOf(access);
  }
  url;
  access;
  connections;
  secureContext;
  /** The HTTP/2 session; resolves to undefined when the server chose HTTP/1.1. */
  session;
  fallback;
  protocol = "h2";
  async send(request) {
    if (!this.fallback) {
      const pending = this.session ??= this.connect(request.timeoutMs);
      let session;
      try {
        session = await pending;
      } catch (e) {
        if (this.session === pending) this.session = void 0;
        throw e;
      }
      if (session) return this.stream(session, request);
    }
    return this.fallback.send(request);
  }
  /**
   * The TLS handshake, then HTTP/2 on that socket if the server chose it. Bounded by the
   * request timeout: an address that drops packets, or a server that accepts connections
   * and never finishes the handshake, fails the region instead of hanging the check.
   */
  async connect(timeoutMs) {
    const { tls: t, proxy } = this.access;
    const servername = t.servername ?? (isName(this.url.hostname) ? this.url.hostname : void 0);
    const started = Date.now();
    const tunnel = proxy ? await tunnelTo(this.url, this.access, proxy, timeoutMs) : void 0;
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    const via = proxy ? ` ${throughProxy(proxy)}` : "";
    return new Promise((done, fail) => {
      const socket = tls.connect({
        ...tunnel ? { socket: tunnel } : hostAndPort(this.url),
        secureContext: this.secureContext,
        rejectUnauthorized: t.rejectUnauthorized,
        ALPNProtocols: ["h2", "http/1.1"],
        ...servername ? { servername } : {}
      });
      const timer = setTimeout(() => {
        socket.destroy();
        fail(
          new TransportError(
            "Timeout",
            `cannot reach ${this.url.origin}${via}: no TLS connection within ${timeoutMs / 1e3} s`
          )
        );
      }, remaining);
      socket.once("error", (e) => {
        clearTimeout(timer);
        fail(
          new TransportError(errorCode(e), `cannot reach ${this.url.origin}${via}: ${e.message}`)
        );
      });
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        if (socket.alpnProtocol !== "h2") {
          socket.destroy();
          this.protocol = "http/1.1";
          const options = {
            keepAlive: true,
            maxSockets: this.connections,
            secureContext: this.secureContext,
            rejectUnauthorized: t.rejectUnauthorized,
            timeout: timeoutMs,
            ...servername ? { servername } : {}
          };
          this.fallback = new Http1Transport(
            this.url,
            this.access,
            proxy ? new TunnelAgent(this.url, this.access, options) : new https.Agent(options)
          );
          done(void 0);
          return;
        }
        const session = http2.connect(this.url.origin, {
          createConnection: () => socket,
          // Large LIST answers flow without waiting for window updates.
          settings: { initialWindowSize: 16 * 1024 * 1024 }
        });
        const pending = this.session;
        const forget = () => {
          if (this.session === pending) this.session = void 0;
        };
        session.on("connect", () => session.setLocalWindowSize(64 * 1024 * 1024));
        session.on("error", forget);
        session.on("close", forget);
        session.on("goaway", forget);
        session.unref();
        done(session);
      });
    });
  }
  stream(session, request) {
    return new Promise((done, fail) => {
      let stream;
      try {
        stream = session.request({
          ":method": request.method,
          ":path": request.path,
          ...this.access.headers,
          ...request.headers
        });
      } catch (e) {
        this.session = void 0;
        fail(
          new TransportError(
            "ECONNRESET",
            `cannot reach ${this.url.origin}: ${e.message}`
          )
        );
        return;
      }
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        fail(
          new TransportError(
            "Timeout",
            `no answer from ${this.url.origin} within ${request.timeoutMs / 1e3} s`
          )
        );
      }, request.timeoutMs);
      let status = 0;
      let headers = {};
      const chunks = [];
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        headers = h;
      });
      stream.on("data", (c) => chunks.push(c));
      stream.on("end", () => {
        clearTimeout(timer);
        done({ status, headers, body: Buffer.concat(chunks) });
      });
      stream.on("error", (e) => {
        clearTimeout(timer);
        if (session.closed || session.destroyed) this.session = void 0;
        const code = e.code === "ERR_HTTP2_STREAM_ERROR" || e.code === "ERR_HTTP2_GOAWAY_SESSION" || e.code === "ERR_HTTP2_STREAM_CANCEL" ? "ECONNRESET" : errorCode(e);
        fail(new TransportError(code, `cannot reach ${this.url.origin}: ${e.message}`));
      });
      if (request.body !== void 0) stream.end(request.body);
      else stream.end();
    });
  }
  close() {
    void this.session?.then((s) => s?.close()).catch(() => void 0);
    this.session = void 0;
    this.fallback?.close();
  }
};
var Http1Transport = class {
  constructor(url, access, agent, forwardVia) {
    this.url = url;
    this.access = access;
    this.agent = agent;
    this.forwardVia = forwardVia;
    const scheme = forwardVia ? forwardVia.scheme : url.protocol.slice(0, -1);
    this.client = scheme === "https" ? https : http;
  }
  url;
  access;
  agent;
  forwardVia;
  protocol = "http/1.1";
  client;
  send(request) {
    const proxy = this.forwardVia;
    const { host, port } = hostAndPort(this.url);
    const via = this.access.proxy ? ` ${throughProxy(this.access.proxy)}` : "";
    return new Promise((done, fail) => {
      const req = this.client.request(
        {
          agent: this.agent,
          ...proxy ? {
            protocol: `${proxy.scheme}:`,
            hostname: proxy.host,
            port: proxy.port,
            path: `${this.url.origin}${request.path}`,
            ...isName(proxy.host) && proxy.scheme === "https" ? { servername: proxy.host } : {}
          } : { protocol: this.url.protocol, hostname: host, port, path: request.path },
          method: request.method,
          headers: {
            ...this.access.headers,
            ...request.headers,
            ...proxy ? { host: this.url.host } : {},
            ...proxy?.credentials ? {
              "proxy-authorization": `Basic ${Buffer.from(`${proxy.credentials.user}:${proxy.credentials.password}`).toString("base64")}`
            } : {}
          },
          signal: AbortSignal.timeout(request.timeoutMs)
        },
        (res) => {
          if (proxy && res.statusCode === 407) {
            res.resume();
            fail(
              new TransportError(
                "ProxyAuthentication",
                `cannot reach ${this.url.origin}${via}: the proxy asks for credentials (407 ${res.statusMessage ?? ""})${proxy.credentials ? " and refused the ones given" : ""}`
              )
            );
            return;
          }
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on(
            "end",
            () => done({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks)
            })
          );
          res.on(
            "error",
            (e) => fail(new TransportError(errorCode(e), `cannot reach ${this.url.origin}: ${e.message}`))
          );
        }
      );
      req.on("error", (e) => {
        if (e instanceof TransportError) return fail(e);
        const timedOut = e.name === "AbortError";
        fail(
          new TransportError(
            timedOut ? "Timeout" : proxy ? proxyCode(e) : errorCode(e),
            timedOut ? `no answer from ${this.url.origin}${via} within ${request.timeoutMs / 1e3} s` : `cannot reach ${this.url.origin}${via}: ${e.message}`
          )
        );
      });
      if (request.body !== void 0) req.end(request.body);
      else req.end();
    });
  }
  close() {
    this.agent.destroy();
  }
};
function proxyCode(e) {
  return e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "ECONNRESET" ? "ProxyUnreachable" : errorCode(e);
}
function isName(host) {
  return !/^[\d.]+$/.test(host) && !host.startsWith("[");
}

// src/adapters/kube/kube-client.ts
var KubeApiError = class extends Error {
  constructor(status, reason, message, causes = []) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.causes = causes;
    this.name = "KubeApiError";
  }
  status;
  reason;
  causes;
};
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
var KubeClient = class _KubeClient {
  constructor(server, namespace, user, transport, opts, concurrency) {
    this.server = server;
    this.namespace = namespace;
    this.user = user;
    this.transport = transport;
    this.opts = opts;
    this.limiter = new Limiter(concurrency);
  }
  server;
  namespace;
  user;
  transport;
  opts;
  limiter;
  /** Requests sent, by HTTP method (for progress and benchmarks). */
  counts = {};
  /** Resolves the context and its credentials; a bad context -> ContextProblem. */
  static async connect(kc, options) {
    const access = await resolveAccess(kc, options.context);
    const concurrency = options.concurrency ?? 16;
    return new _KubeClient(
      access.server,
      access.namespace,
      access.user,
      openTransport(access, concurrency),
      { timeoutMs: options.timeoutMs ?? 3e4, maxRetries: options.maxRetries ?? 6 },
      concurrency
    );
  }
  /** HTTP protocol in use (`h2` or `http/1.1`). */
  get protocol() {
    return this.transport.protocol;
  }
  /** Closes the connections; requests after this reconnect. */
  close() {
    this.transport.close();
  }
  /**
   * Sends one request (within the concurrency bound), retrying 429/503 after the server's
   * Retry-After (or a short backoff) and connection resets. Error answers -> KubeApiError.
   */
  async request(method, path, init = {}) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== void 0) query.set(k, v);
    const target = query.size > 0 ? `${path}?${query.toString()}` : path;
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    return this.limiter.run(async () => {
      for (let attempt = 0; ; attempt++) {
        let res;
        try {
          res = await this.transport.send({
            method,
            path: target,
            headers: {
              accept: init.accept ?? "application/json",
              ...init.contentType ? { "content-type": init.contentType } : {}
            },
            ...init.body !== void 0 ? { body: init.body } : {},
            timeoutMs: this.opts.timeoutMs
          });
        } catch (e) {
          const code = e instanceof TransportError ? e.code : e.name ?? "Error";
          if (code === "ECONNRESET" && attempt < 2) {
            await sleep(200 * (attempt + 1));
            continue;
          }
          throw new KubeApiError(0, code, e.message);
        }
        const { status, headers } = res;
        const header = (name) => {
          const v = headers[name];
          return Array.isArray(v) ? v.join(", ") : v ?? "";
        };
        if ((status === 429 || status === 503) && attempt < this.opts.maxRetries) {
          const after = Number(header("retry-after"));
          const wait = Number.isFinite(after) && after > 0 ? Math.min(after, 30) * 1e3 : 250 * 2 ** attempt;
          await sleep(wait);
          continue;
        }
        const text = res.body.toString("utf8");
        let body = text;
        try {
          body = text ? JSON.parse(text) : void 0;
        } catch {
        }
        if (status >= 400) throw apiError(status, body);
        const warnings = header("warning").split(/,(?=\s*\d{3} )/).map((w) => w.trim().replace(/^299 - "?|"$/g, "")).filter(Boolean);
        return { status, body, warnings };
      }
    });
  }
  /** GET returning the parsed JSON body. */
  async getJson(path, query, accept) {
    return (await this.request("GET", path, {
      ...query ? { query } : {},
      ...accept ? { accept } : {}
    })).body;
  }
};
function apiError(status, body) {
  const s = typeof body === "object" && body !== null ? body : {};
  const fallback = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    429: "TooManyRequests"
  };
  const reason = s.reason || fallback[status] || (status >= 500 ? "InternalError" : `HTTP${status}`);
  const message = s.message ?? (typeof body === "string" && body.trim() ? body.trim().split("\n")[0].slice(0, 300) : `HTTP ${status}`);
  const causes = Array.isArray(s.details?.causes) ? s.details.causes.filter(
    (c) => typeof c === "object" && c !== null
  ) : [];
  return new KubeApiError(status, reason, message, causes);
}

// src/adapters/kube/access-errors.ts
var TLS_TRUST_CODES = /* @__PURE__ */ new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID"
]);
var BYPASS = "To reach this cluster without the proxy, list the server's host in NO_PROXY (when the proxy comes from HTTPS_PROXY or HTTP_PROXY) or remove the cluster's proxy-url from the kubeconfig.";
var PROXY_HINTS = {
  ProxyUnreachable: `Check the proxy's address and that it is running. ${BYPASS}`,
  ProxyAuthentication: "Give the proxy user and password in the proxy URL named above (http://user:password@host:port, special characters percent-encoded), or ask the proxy's owners which credentials it takes.",
  ProxyRefused: `The proxy would not connect to the API server: check that it allows tunnels to this host and port. ${BYPASS}`,
  ProxyTimeout: `Check that the proxy can reach the API server. ${BYPASS}`
};
function isAccessFailure(e) {
  return e instanceof KubeApiError && (e.status === 0 || e.status === 401 || e.status === 403);
}
function accessFailure(e, what, client, dryRun = false) {
  if (e.status === 0 && TLS_TRUST_CODES.has(e.reason)) {
    return new ClusterAccessError(
      `cannot ${what}: the server's TLS certificate is not trusted (${e.reason}: ${e.message})`,
      `The cluster answered, but its certificate does not verify against the certificate-authority in the kubeconfig. Check that the kubeconfig's certificate-authority(-data) belongs to this cluster and that the server address is the one the certificate was issued for.`
    );
  }
  if (e.status === 0 && PROXY_HINTS[e.reason]) {
    return new ClusterAccessError(`cannot ${what}: ${e.message}`, PROXY_HINTS[e.reason]);
  }
  if (e.status === 0 && e.reason === "Timeout") {
    return new ClusterAccessError(
      `cannot ${what}: ${e.message}`,
      (say) => `Check that the cluster is up and reachable (a firewall that drops packets looks like this), or raise ${say.option("request-timeout")} if it is only slow.`
    );
  }
  if (e.status === 0) {
    return new ClusterAccessError(
      `cannot ${what}: ${e.message}`,
      "Check that the cluster is up and reachable, and that the kubeconfig context points at it."
    );
  }
  if (e.status === 401) {
    return new ClusterAccessError(
      `the cluster rejected the credentials of user "${client.user}" (401 Unauthorized) while trying to ${what}`,
      (say) => `Refresh the credentials in the kubeconfig, or pick another context with ${say.setting("context", "REGION=CONTEXT")}.`
    );
  }
  return new ClusterAccessError(
    `permission denied (403 Forbidden) to ${what}: ${e.message}`,
    dryRun ? (say) => `Server-side mode needs the \`patch\` verb on every kind in Git (the dry-run never writes, but RBAC cannot tell). Grant it, or run with ${say.setting("mode", "read-only")}, which needs only get/list.` : `The check needs get and list on every kind in Git and list on the others (to find extra objects); grant them to user "${client.user}".`
  );
}
async function withAccessErrors(client, what, requests) {
  try {
    return await requests();
  } catch (e) {
    if (isAccessFailure(e)) throw accessFailure(e, what, client);
    if (e instanceof KubeApiError)
      throw new ClusterAccessError(
        `cannot ${what}: the server answered ${e.status} ${e.reason}: ${e.message}`
      );
    throw e;
  }
}

// src/core/compare/resource-catalog.ts
function apiVersionOf(rt) {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}
var ResourceCatalog = class {
  byGvk = /* @__PURE__ */ new Map();
  /** One type per group+kind, at the group's preferred version. */
  preferred = [];
  /** Notes about discovery (stale aggregated API servers ...). */
  warnings = [];
  add(rt, preferred) {
    const key = `${apiVersionOf(rt)}|${rt.kind}`;
    if (!this.byGvk.has(key)) this.byGvk.set(key, rt);
    if (preferred && !this.preferred.some((p) => p.group === rt.group && p.kind === rt.kind))
      this.preferred.push(rt);
  }
  /** Every type, in the order discovery added them. */
  all() {
    return [...this.byGvk.values()];
  }
  /** The resource serving `kind` in `apiVersion`, if any. */
  find(apiVersion, kind) {
    return this.byGvk.get(`${apiVersion}|${kind}`);
  }
};

// src/adapters/kube/discovery.ts
function collectionPath(rt, namespace) {
  const base = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  return rt.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${rt.resource}` : `${base}/${rt.resource}`;
}
var AGGREGATED_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
async function discoverResources(client) {
  const catalog = new ResourceCatalog();
  const [core2, groups] = await Promise.all([
    client.getJson("/api", void 0, AGGREGATED_ACCEPT),
    client.getJson("/apis", void 0, AGGREGATED_ACCEPT)
  ]);
  const agg = [core2, groups];
  if (agg.every((a) => a?.kind === "APIGroupDiscoveryList")) {
    for (const list of agg) {
      for (const g of list.items ?? []) {
        const group = g.metadata?.name ?? "";
        (g.versions ?? []).forEach((v, i2) => {
          if (v.freshness === "Stale")
            catalog.warnings.push(
              `API group ${group || "core"}/${v.version} is stale on the server (its aggregated API server is not answering)`
            );
          for (const r of v.resources ?? []) {
            const kind = r.responseKind?.kind;
            if (!kind || r.resource.includes("/")) continue;
            catalog.add(
              {
                group,
                version: v.version,
                kind,
                resource: r.resource,
                namespaced: r.scope === "Namespaced",
                verbs: r.verbs ?? []
              },
              i2 === 0
            );
          }
        });
      }
    }
    return catalog;
  }
  await legacyDiscovery(
    client,
    catalog,
    core2,
    groups
  );
  return catalog;
}
async function legacyDiscovery(client, catalog, core2, groups) {
  const targets2 = [];
  for (const v of core2.versions ?? ["v1"])
    targets2.push({ group: "", version: v, preferred: v === "v1", path: `/api/${v}` });
  for (const g of groups.groups ?? []) {
    const pref = g.preferredVersion?.version ?? g.versions[0]?.version;
    for (const v of g.versions)
      targets2.push({
        group: g.name,
        version: v.version,
        preferred: v.version === pref,
        path: `/apis/${g.name}/${v.version}`
      });
  }
  targets2.sort((a, b) => Number(b.preferred) - Number(a.preferred));
  const lists = await mapLimited(targets2, 8, async (t) => {
    try {
      return await client.getJson(t.path);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 503) {
        catalog.warnings.push(`API group version ${t.path} is unavailable (503)`);
        return { resources: [] };
      }
      throw e;
    }
  });
  lists.forEach((list, i2) => {
    const t = targets2[i2];
    for (const r of list.resources ?? []) {
      if (r.name.includes("/")) continue;
      catalog.add(
        {
          group: t.group,
          version: t.version,
          kind: r.kind,
          resource: r.name,
          namespaced: r.namespaced,
          verbs: r.verbs ?? []
        },
        t.preferred
      );
    }
  });
}

// src/adapters/kube/dry-run-apply.ts
async function dryRunApply(client, rt, manifest, fieldManager) {
  const path = `${collectionPath(rt, manifest.metadata.namespace)}/${encodeURIComponent(manifest.metadata.name)}`;
  const res = await client.request("PATCH", path, {
    query: { dryRun: "All", fieldManager, force: "true" },
    // JSON is valid YAML; the apply content type is what makes this a server-side apply.
    body: JSON.stringify(manifest),
    contentType: "application/apply-patch+yaml"
  });
  return { object: res.body, warnings: res.warnings };
}

// src/adapters/kube/read-live.ts
var PAGE = 500;
async function listObjects(client, rt, options = {}) {
  const out = [];
  const path = collectionPath(rt, options.namespace);
  let token;
  do {
    const body = await client.getJson(path, {
      limit: String(PAGE),
      continue: token,
      labelSelector: options.labelSelector
    });
    for (const item of body.items ?? []) {
      item.apiVersion ??= apiVersionOf(rt);
      item.kind ??= rt.kind;
      out.push(item);
    }
    token = body.metadata?.continue || void 0;
  } while (token);
  return out;
}
async function getObject(client, rt, namespace, name) {
  try {
    const item = await client.getJson(
      `${collectionPath(rt, namespace)}/${encodeURIComponent(name)}`
    );
    item.apiVersion ??= apiVersionOf(rt);
    item.kind ??= rt.kind;
    return item;
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return void 0;
    throw e;
  }
}

// src/pipeline/predict-by-dry-run.ts
async function predictByDryRun(client, targets2, live, progress) {
  const results = {
    predicted: /* @__PURE__ */ new Map(),
    refused: /* @__PURE__ */ new Map(),
    unjudged: /* @__PURE__ */ new Set(),
    errors: [],
    warnings: []
  };
  let done = 0;
  progress(0, targets2.length);
  await Promise.all(
    targets2.map(async (target) => {
      await dryRunOne(client, target, results);
      progress(++done, targets2.length);
    })
  );
  await settleMoved(client, targets2, live, results);
  return results;
}
var SETTLE_ROUNDS = 3;
async function settleMoved(client, targets2, live, results) {
  const versionOf = (o) => o?.metadata.resourceVersion;
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    const moved = targets2.filter(({ key }) => {
      const predicted = results.predicted.get(key);
      return predicted !== void 0 && live.has(key) && versionOf(predicted) !== versionOf(live.get(key));
    });
    if (moved.length === 0) return;
    await Promise.all(
      moved.map(async (target) => {
        const { object, resourceType, key } = target;
        const manifest = object.entry.manifest;
        const fresh2 = await getObject(
          client,
          resourceType,
          manifest.metadata.namespace,
          manifest.metadata.name
        ).catch(() => void 0);
        if (fresh2 === void 0) return;
        live.set(key, fresh2);
        if (versionOf(fresh2) !== versionOf(results.predicted.get(key))) {
          results.predicted.delete(key);
          await dryRunOne(client, target, results);
        }
      })
    );
  }
}
async function dryRunOne(client, { object, resourceType, key, manager }, results) {
  const manifest = object.entry.manifest;
  try {
    const res = await dryRunApply(client, resourceType, manifest, manager);
    results.predicted.set(key, res.object);
    for (const w of res.warnings) {
      const line = `${describeRef(refOf(manifest))}: ${w}`;
      if (!results.warnings.includes(line)) results.warnings.push(line);
    }
  } catch (e) {
    if (isAccessFailure(e))
      throw accessFailure(e, "run the server-side apply dry-run", client, true);
    if (e instanceof KubeApiError && e.status === 422 && refusalIsImmutable(e.causes, e.message))
      results.refused.set(key, `${describeRef(refOf(manifest))}: ${e.message}`);
    else {
      results.unjudged.add(key);
      results.errors.push(
        `${describeRef(refOf(manifest))}: the server refused the dry-run apply (${e instanceof KubeApiError ? `${e.status} ${e.reason}: ${e.message}` : e.message})`
      );
    }
  }
}

// src/pipeline/read-region-live.ts
async function readRegionLive(client, plan, desired, warnings, progress) {
  const candidates = [];
  const denied = /* @__PURE__ */ new Set();
  const search = (selectors) => Promise.all(
    plan.searches.flatMap(
      (collection) => selectors.map(
        (labelSelector) => searchCollection(client, collection, labelSelector, candidates, (what, e) => {
          if (!denied.has(what))
            warnings.push(
              `could not look for extra ${what}: ${e instanceof KubeApiError ? `${e.status} ${e.reason}` : e.message}`
            );
          denied.add(what);
        })
      )
    )
  );
  const live = /* @__PURE__ */ new Map();
  let done = 0;
  const reading = withAccessErrors(
    client,
    "list the live objects",
    () => Promise.all(
      plan.lists.map(async ({ resourceType, namespace }) => {
        const items = await listObjects(client, resourceType, namespace ? { namespace } : {});
        for (const item of items) {
          live.set(objectKey(refOf(item)), item);
          candidates.push(item);
        }
        progress(++done, plan.lists.length);
      })
    )
  );
  const fromGit = appIdentity(desired, []);
  const early = search(identitySelectors(fromGit));
  early.catch(() => void 0);
  await reading;
  const liveCopies = desired.map((m) => live.get(objectKey(refOf(m)))).filter((o) => o !== void 0);
  const later = identitySelectors(appIdentity(desired, liveCopies), fromGit);
  await Promise.all([early, search(later)]);
  return { live, candidates };
}
async function searchCollection(client, { resourceType: rt, namespace }, labelSelector, found, refused) {
  try {
    found.push(
      ...await listObjects(client, rt, { labelSelector, ...namespace ? { namespace } : {} })
    );
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 0)
      throw accessFailure(e, "list objects to find extra ones", client);
    refused(`${rt.resource}${rt.group ? `.${rt.group}` : ""}`, e);
  }
}

// src/pipeline/check-region.ts
async function checkRegion(input) {
  const { region } = input;
  const report = {
    name: region,
    context: input.context,
    status: "in-sync",
    findings: []
  };
  const warnings = [...input.deployment?.warnings ?? []];
  const deployment = input.deployment?.deployment;
  const secrets = [];
  const seeSecrets = (objects) => {
    for (const o of objects) if (o.kind === "Secret") secrets.push(...secretValueForms(o));
  };
  const step = (name, done, total) => input.onProgress?.({
    kind: "region-step",
    region,
    step: name,
    ...done !== void 0 && total !== void 0 ? { done, total } : {}
  });
  input.onProgress?.({ kind: "region-start", region });
  let opened;
  try {
    step("render");
    const [rendered, reached, baseRendered] = await Promise.allSettled([
      input.render(),
      (async () => {
        step("connect");
        const client2 = await connect(input);
        opened = client2;
        step("discover");
        const catalog2 = await withAccessErrors(
          client2,
          "discover the API resources",
          () => discoverResources(client2)
        );
        return { client: client2, catalog: catalog2 };
      })(),
      input.renderBase ? input.renderBase() : Promise.resolve(void 0)
    ]);
    if (rendered.status === "rejected") throw rendered.reason;
    if (reached.status === "rejected") throw reached.reason;
    const { client, catalog } = reached.value;
    seeSecrets(rendered.value.map((s) => s.object));
    report.objects = rendered.value.length;
    warnings.push(...catalog.warnings);
    const head = resolveDesired(rendered.value, catalog, client.namespace);
    warnings.push(...head.notServed);
    if (head.duplicates.length > 0) throw new DuplicateObjectsError(head.duplicates);
    const desired = head.objects;
    let base;
    if (baseRendered.status === "rejected") {
      warnings.push(
        `the base revision could not be rendered, so this PR's changes are not told apart from drift in this region: ${describeFailure(baseRendered.reason, input.wording)}`
      );
    } else if (baseRendered.value) {
      seeSecrets(baseRendered.value.map((s) => s.object));
      base = resolveDesired(baseRendered.value, catalog, client.namespace).objects;
    }
    const headKeys = new Set(desired.map((o) => objectKey(refOf(o.entry.manifest))));
    const removed = (base ?? []).filter((o) => !headKeys.has(objectKey(refOf(o.entry.manifest))));
    step("read live");
    const { live, candidates } = await readRegionLive(
      client,
      planRegionReads(desired, catalog, removed),
      desired.map((o) => o.entry.manifest),
      warnings,
      (done, total) => step("read live", done, total)
    );
    seeSecrets(candidates);
    const isApplier = (m) => m === input.fieldManager || GITOPS_MANAGERS.includes(m);
    addEngineMetadata([...desired, ...base ?? []], live, isApplier);
    addFluxApplyForm(
      [...desired, ...base ?? []],
      live,
      (l) => enginesFor(l, deployment?.engine, input.fieldManager)
    );
    let dryRun;
    if (input.mode === "server-side") {
      const { provenNoOp, targets: targets2 } = chooseDryRunTargets(desired, live, input);
      dryRun = await predictByDryRun(
        client,
        targets2,
        live,
        (done, total) => step("dry-run", done, total)
      );
      for (const [key, object] of provenNoOp) dryRun.predicted.set(key, object);
      warnings.push(...dryRun.warnings);
    }
    step("compare");
    const verdict = regionVerdict({
      region,
      mode: input.mode,
      desired,
      base,
      live,
      candidates,
      predicted: dryRun?.predicted ?? /* @__PURE__ */ new Map(),
      refused: dryRun?.refused ?? /* @__PURE__ */ new Map(),
      unjudged: dryRun?.unjudged ?? /* @__PURE__ */ new Set(),
      objectErrors: dryRun?.errors ?? [],
      rules: input.rules,
      engine: deployment?.engine,
      ignoreDifferences: deployment?.ignoreDifferences,
      appSyncOptions: deployment?.engine === "argocd" ? deployment.syncOptions : void 0,
      fieldManager: input.fieldManager,
      isApplier,
      isHandManager: input.isHandManager,
      fingerprint: input.fingerprint
    });
    report.findings = verdict.findings;
    if (verdict.ignored) report.ignored = verdict.ignored;
    if (verdict.skewDigest) report.skewDigest = verdict.skewDigest;
    report.status = verdict.status;
    if (verdict.error !== void 0) report.error = verdict.error;
  } catch (e) {
    report.status = "error";
    report.error = describeFailure(e, input.wording);
  } finally {
    opened?.close();
  }
  if (warnings.length > 0) report.warnings = [...new Set(warnings)].sort();
  if (report.error) report.error = scrubSecretValues(report.error, secrets);
  if (report.warnings) report.warnings = report.warnings.map((w) => scrubSecretValues(w, secrets));
  input.onProgress?.({ kind: "region-done", region, status: report.status });
  return report;
}
function describeFailure(e, wording) {
  if (e instanceof MrDriftError) return e.describe(wording);
  return `unexpected error: ${e?.message ?? String(e)}`;
}
function connect(input) {
  return KubeClient.connect(input.kubeConfig, {
    context: input.context,
    ...input.concurrency ? { concurrency: input.concurrency } : {},
    ...input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}
  });
}

// src/pipeline/run-check.ts
function runFingerprint(key = randomBytes(32)) {
  return (value) => `hmac:${createHmac("sha256", key).update(value).digest("hex").slice(0, 12)}`;
}
var runCheck = async (options) => {
  if (options.mode !== "server-side" && options.mode !== "read-only") {
    throw new UsageError(
      `unknown mode "${String(options.mode)}"`,
      (say) => `Use ${say.setting("mode", "server-side")} (the default) or ${say.setting("mode", "read-only")}.`
    );
  }
  const layout = await detectLayout(options.path);
  if (layout.kind === "overlays" || layout.kind === "kustomization") findKustomize();
  const ignore = await readIgnoreFile(options.ignoreFile);
  const kubeConfig = loadKubeconfig(options.kubeconfig);
  let regions = options.regions?.filter(Boolean);
  if (!regions || regions.length === 0) {
    if (layout.kind === "overlays") regions = layout.regions;
    else {
      const current = kubeConfig.currentContext;
      if (!current) {
        throw new UsageError(
          "no region given and the kubeconfig has no current context",
          (say) => `Pass ${say.option("regions", "NAME")} (the kubeconfig context of the same name is used, or ${say.setting("context", "NAME=CONTEXT")}).`
        );
      }
      regions = [current];
    }
  }
  if (new Set(regions).size !== regions.length)
    throw new UsageError(
      (say) => `${say.subject("regions")} lists a region twice: ${regions.join(",")}`
    );
  if (layout.kind === "overlays") {
    const unknown = regions.filter((r) => !layout.regions.includes(r));
    if (unknown.length > 0) {
      throw new UsageError(
        `no overlay for ${plural(unknown.length, "region")} ${unknown.join(", ")} under ${displayPath(options.path)}`,
        `Regions with an overlay: ${layout.regions.join(", ")}.`
      );
    }
  }
  const strayContexts = Object.keys(options.contexts ?? {}).filter((r) => !regions.includes(r));
  if (strayContexts.length > 0) {
    throw new UsageError(
      (say) => `${say.subject("context")} names ${plural(strayContexts.length, "region")} not being checked: ${strayContexts.join(", ")}`,
      `Checked regions: ${regions.join(", ")}.`
    );
  }
  const treeOf = layout.kind === "file" ? void 0 : await readRegionDeployments(options.path);
  const deployments = /* @__PURE__ */ new Map();
  for (const region of regions) {
    const dir = layout.kind === "overlays" ? layout.regionDir(region) : layout.kind === "file" ? void 0 : layout.dir;
    deployments.set(region, dir && treeOf ? treeOf(dir) : { warnings: [] });
  }
  const render2 = sharedRenderer(
    (region) => renderDesired(layout, region, options.renderTimeoutMs),
    layout
  );
  const base = options.base ? await openBase(
    options.path,
    options.base,
    options.baseMissing ?? "error",
    options.wording,
    options.renderTimeoutMs
  ) : void 0;
  try {
    return await checkRegions(options, regions, kubeConfig, ignore, render2, base, deployments);
  } finally {
    await base?.tree?.dispose();
  }
};
function sharedRenderer(renderRegion2, layout) {
  const renders = /* @__PURE__ */ new Map();
  return (region) => {
    const key = layout.kind === "overlays" ? region : "";
    let pending = renders.get(key);
    if (!pending) {
      pending = renderRegion2(region);
      pending.catch(() => void 0);
      renders.set(key, pending);
    }
    return pending;
  };
}
async function openBase(path, ref, missing, wording, renderTimeoutMs) {
  let tree;
  try {
    tree = await checkoutBase(path, ref);
  } catch (e) {
    if (!(e instanceof BaseUnavailable)) throw e;
    if (missing === "error")
      throw new UsageError(
        (say) => `${say.subject("base")}: ${e.worded(say).message}`,
        (say) => e.worded(say).hint ?? ""
      );
    const { message, hint } = e.worded(wording);
    return {
      source: {
        ref,
        warning: `${message}; this PR's changes are not told apart from drift (every difference counts as drift). ${hint ?? ""}`
      }
    };
  }
  try {
    const short = tree.revision.slice(0, 12);
    const where2 = (text) => text.split(`${tree.root}/`).join(`${short}:`);
    let layout;
    try {
      layout = await detectLayout(tree.path);
    } catch {
      layout = void 0;
    }
    const renderAtBase = async (region) => {
      if (!layout) return [];
      if (layout.kind === "overlays" && !layout.regions.includes(region)) return [];
      try {
        return await renderDesired(layout, region, renderTimeoutMs);
      } catch (e) {
        if (e instanceof Error) e.message = where2(e.message);
        throw e;
      }
    };
    return {
      source: { ref, revision: tree.revision },
      tree,
      render: sharedRenderer(renderAtBase, layout ?? { kind: "file", file: "" })
    };
  } catch (e) {
    await tree.dispose();
    throw e;
  }
}
async function checkRegions(options, regions, kubeConfig, ignore, render2, base, deployments) {
  const fingerprint = runFingerprint();
  const isHandManager = globMatcher(ignore.handManagers ?? DEFAULT_HAND_MANAGERS);
  const fieldManager = options.fieldManager ?? ignore.fieldManager;
  const [revision, reports] = await Promise.all([
    options.revision ? Promise.resolve(options.revision) : headRevision(options.path),
    // Bounded: each region holds its live objects until it is judged.
    mapLimited(
      regions,
      options.parallelRegions ?? DEFAULT_PARALLEL_REGIONS,
      (region) => checkRegion({
        region,
        context: options.contexts?.[region] ?? region,
        render: () => render2(region),
        ...base?.render ? { renderBase: () => base.render(region) } : {},
        kubeConfig,
        mode: options.mode,
        wording: options.wording,
        ...fieldManager ? { fieldManager } : {},
        ...options.fullDryRun ? { fullDryRun: true } : {},
        rules: ignore.rules,
        deployment: deployments.get(region) ?? { warnings: [] },
        isHandManager,
        fingerprint,
        ...options.concurrency ? { concurrency: options.concurrency } : {},
        ...options.timeoutMs ? { timeoutMs: options.timeoutMs } : {},
        ...options.onProgress ? { onProgress: options.onProgress } : {}
      })
    )
  ]);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "mr-drift", version: VERSION },
    generatedAt: (/* @__PURE__ */ new Date()).toISOString(),
    mode: options.mode,
    source: {
      path: displayPath(options.path),
      ...revision ? { revision } : {},
      ...base ? { base: base.source } : {}
    },
    regions: reports,
    ...skewOf(reports)
  };
}
function skewOf(reports) {
  const skew = computeSkew(reports);
  return skew.length > 0 ? { skew } : {};
}

// src/core/text/option-number.ts
var SECONDS_EXPECTED = "expected a number of seconds greater than 0";
var COUNT_EXPECTED = "expected a whole number of at least 1";
function readSeconds(text) {
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) && n > 0 ? n : void 0;
}
function readCount(text) {
  return /^\s*\d+\s*$/.test(text) && Number(text) >= 1 ? Number(text) : void 0;
}

// src/cli/check-command.ts
function checkCommand() {
  return new Command("check").description(
    "Report every difference between Git and each region's cluster, per object and field."
  ).option("--path <path>", "overlays folder, a folder of manifests, or one YAML file", "overlays").option("--regions <list>", "comma-separated regions to check (default: every overlay)").option("--kubeconfig <file>", "kubeconfig file (default: KUBECONFIG, then ~/.kube/config)").option(
    "--context <region=context>",
    "kubeconfig context of a region (repeatable; default: the context named like the region)",
    (v, all) => [...all ?? [], v]
  ).addOption(
    new Option(
      "--mode <mode>",
      "server-side: dry-run apply on the server; read-only: no write verb at all"
    ).choices(["server-side", "read-only"]).default("server-side")
  ).option("--ignore-file <file>", "ignore rules (default: .mr-drift-ignore.yaml when present)").option(
    "--field-manager <name>",
    "field manager of the GitOps engine (default: detected, else argocd-controller)"
  ).addOption(
    new Option("--output <format>", "report format on stdout").choices(["text", "json", "markdown"]).default("text")
  ).option(
    "--full-dry-run",
    "server-side mode: dry-run every object, also those whose managedFields prove the apply a no-op"
  ).option(
    "--base <ref>",
    "pull request's base revision: tell the PR's own changes apart from drift already in the cluster"
  ).option("--fail-on-pr-changes", "with --base: exit 1 for the PR's own changes too").option("--report-file <file>", "also write the JSON report to this file").option(
    "--request-timeout <seconds>",
    "give up on a cluster that does not answer a request (or connect) within this time",
    parseSeconds,
    30
  ).option(
    "--render-timeout <seconds>",
    "give up on a region whose kustomize build takes longer (raise it for overlays of thousands of objects)",
    parseSeconds,
    RENDER_TIMEOUT_MS / 1e3
  ).option(
    "--parallel-regions <n>",
    "regions checked at once (memory grows with this many regions, not with all)",
    parseCount,
    DEFAULT_PARALLEL_REGIONS
  ).option("--no-progress", "do not show progress on stderr").addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  mr-drift check                                  every overlay under overlays/regions/",
      "  mr-drift check --regions us-east --mode read-only",
      "  mr-drift check --context us-east=prod-use1 --output json --report-file drift.json",
      "  mr-drift check --base origin/main                tell a PR's own changes apart from drift",
      "",
      "Exit codes: 0 every region in sync, 1 drift in at least one region, 2 an error",
      "(bad input, or a region that could not be checked: never reported as in sync)."
    ].join("\n")
  ).action(async (flags) => {
    if (flags.failOnPrChanges && flags.base === void 0) {
      throw new UsageError(
        "--fail-on-pr-changes needs --base",
        "Without a base revision every difference already counts as drift; add --base <the PR's base branch or commit>."
      );
    }
    if (flags.reportFile) checkReportFolder(flags.reportFile);
    const report = await runCheck({
      path: flags.path,
      ...flags.regions !== void 0 ? { regions: parseRegions(flags.regions) } : {},
      ...flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {},
      contexts: parseContexts(flags.context ?? []),
      mode: flags.mode,
      wording: CLI_WORDING,
      ...flags.ignoreFile ? { ignoreFile: flags.ignoreFile } : {},
      ...flags.fieldManager ? { fieldManager: flags.fieldManager } : {},
      ...flags.fullDryRun ? { fullDryRun: true } : {},
      ...flags.base !== void 0 ? { base: flags.base } : {},
      timeoutMs: flags.requestTimeout * 1e3,
      renderTimeoutMs: flags.renderTimeout * 1e3,
      parallelRegions: flags.parallelRegions,
      ...flags.progress ? { onProgress: progressPrinter() } : {}
    });
    if (flags.reportFile) writeReport(report, flags.reportFile);
    process.stdout.write(render(report, flags.output));
    process.exitCode = checkOutcome(report, {
      failOnDrift: true,
      failOnPrChanges: flags.failOnPrChanges ?? false
    }).code;
  });
}
function parseRegions(list) {
  const regions = list.split(",").map((r) => r.trim()).filter(Boolean);
  if (regions.length === 0)
    throw new UsageError(
      "--regions is empty",
      "Pass a comma-separated list, e.g. --regions us-east,eu-west."
    );
  return regions;
}
function parseContexts(pairs2) {
  const out = {};
  for (const pair of pairs2) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || eq === pair.length - 1) {
      throw new UsageError(
        `--context ${pair}: expected REGION=CONTEXT`,
        "For example --context us-east=prod-us-east-admin."
      );
    }
    const region = pair.slice(0, eq);
    if (out[region] !== void 0) throw new UsageError(`--context gives region ${region} twice`);
    out[region] = pair.slice(eq + 1);
  }
  return out;
}
function render(report, output) {
  if (output === "json") return `${JSON.stringify(report, null, 2)}
`;
  if (output === "markdown") {
    const md = renderMarkdownReport(report);
    return md.endsWith("\n") ? md : `${md}
`;
  }
  return renderText(report, textStyle());
}
function textStyle() {
  if (!process.stdout.isTTY || (process.env.NO_COLOR ?? "") !== "") return PLAIN_STYLE;
  const c = import_picocolors.default.createColors(true);
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}
function checkReportFolder(file) {
  const folder = dirname5(file);
  let isFolder = false;
  try {
    isFolder = statSync2(folder).isDirectory();
  } catch {
  }
  if (!isFolder) {
    throw new UsageError(
      `--report-file ${file}: the folder ${folder} does not exist`,
      "Create the folder first, or pass a path in an existing folder."
    );
  }
}
function writeReport(report, file) {
  try {
    writeReportFile(report, file);
  } catch (e) {
    throw new UsageError(
      `--report-file ${file}: cannot write it (${e.code ?? e.message})`
    );
  }
}
function progressPrinter() {
  const tty = Boolean(process.stderr.isTTY);
  const state = /* @__PURE__ */ new Map();
  let last = 0;
  const draw = (force) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const line = [...state.entries()].map(([r, s]) => `${r}: ${s}`).join(" | ");
    process.stderr.write(`\r\x1B[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
  };
  return (e) => {
    if (e.kind === "region-start") state.set(e.region, "starting");
    else if (e.kind === "region-step") {
      const counts = e.total !== void 0 ? ` ${e.done ?? 0}/${e.total}` : "";
      if (!tty && (e.done === void 0 || e.done === 0))
        process.stderr.write(`[${e.region}] ${e.step}
`);
      state.set(e.region, `${e.step}${counts}`);
    } else {
      state.set(e.region, e.status);
      if (!tty) process.stderr.write(`[${e.region}] ${e.status}
`);
    }
    if (!tty) return;
    const finished = [...state.values()].every(
      (s) => s === "in-sync" || s === "drift" || s === "error"
    );
    if (finished) process.stderr.write("\r\x1B[2K");
    else draw(e.kind !== "region-step");
  };
}
function parseCount(value) {
  const n = readCount(value);
  if (n === void 0) throw new InvalidArgumentError(`${COUNT_EXPECTED}, e.g. 8`);
  return n;
}
function parseSeconds(value) {
  const n = readSeconds(value);
  if (n === void 0) throw new InvalidArgumentError(`${SECONDS_EXPECTED}, e.g. 30 or 2.5`);
  return n;
}
export {
  checkCommand
};
