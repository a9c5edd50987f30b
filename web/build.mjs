// Bundles src/main.tsx into ../api/webapp/dist: content-hashed assets and an index.html that
// loads them (no inline script or style, so the API's CSP can forbid both).
// `node build.mjs` builds once; runs on Node 18 and later (esbuild's API only).
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "webapp", "dist");
const staging = `${out}.tmp`;

rmSync(staging, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(here, "src", "main.tsx")],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: join(staging, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => name.endsWith(".js"));
const styles = outputs.filter((name) => name.endsWith(".css"));
const escape = (text) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trawler</title>
${styles.map((name) => `<link rel="stylesheet" href="/assets/${escape(name)}">`).join("\n")}
<script type="module" src="/assets/${escape(script)}"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`;
writeFileSync(join(staging, "index.html"), html);
// swap the finished folder in whole: a running API never serves half a build
rmSync(out, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
renameSync(staging, out);
console.log(`built ${out}: ${outputs.join(", ")}`);
