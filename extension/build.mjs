// Bundles the extension into an unpacked folder (default dist/) and a ZIP of it (default
// trawler-extension.zip): manifest.json, the service worker, the content scripts, the popup.
// Runs on Node 18 and later (esbuild's API and node: modules only).
//
//   node build.mjs                                 the store build: asks for the server's
//                                                  origin when the user connects
//   node build.mjs --server https://trawler.corp   an on-prem build: that server is filled in
//                                                  and its host permission granted at install
//   --host-permission PATTERN (repeatable)         more sites the extension may always script
//   --out DIR, --zip FILE                          where to write (the ZIP: DIR.zip with --out)
import { build } from "esbuild";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { icon, zip } from "./pack.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    out: { type: "string" },
    zip: { type: "string" },
    server: { type: "string" },
    "host-permission": { type: "string", multiple: true, default: [] },
  },
});
const out = resolve(options.out ?? join(here, "dist"));
const archive = resolve(options.zip ?? (options.out ? `${out}.zip` : join(here, "trawler-extension.zip")));
const staging = `${out}.tmp`;
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

let server = "";
const hosts = [...options["host-permission"]];
if (options.server) {
  const url = new URL(options.server);
  if (!["http:", "https:"].includes(url.protocol)) throw new Error(`--server: not http(s): ${options.server}`);
  server = url.origin;
  hosts.unshift(`${server}/*`);
}

// Only the extension's own files run in its pages: no remote code, no eval, no inline script.
const CSP =
  "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; img-src 'self' blob:; style-src 'self'; connect-src http: https:";

const manifest = {
  manifest_version: 3,
  name: "trawler",
  version: pkg.version,
  description: "Pick elements and record steps on the live page, into a bot on your trawler server.",
  minimum_chrome_version: "110",
  icons: { 16: "icon-16.png", 48: "icon-48.png", 128: "icon-128.png" },
  action: { default_popup: "popup.html", default_title: "trawler", default_icon: { 16: "icon-16.png", 48: "icon-48.png" } },
  background: { service_worker: "background.js" },
  permissions: ["activeTab", "storage", "scripting"],
  // asked for one origin at a time: the server's when connecting (the popup's Connect button)
  optional_host_permissions: ["http://*/*", "https://*/*"],
  ...(hosts.length > 0 ? { host_permissions: hosts } : {}),
  content_security_policy: { extension_pages: CSP },
};

rmSync(staging, { recursive: true, force: true });
await build({
  entryPoints: ["background", "content", "bridge", "popup"].map((name) => join(here, "src", `${name}.ts`)),
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife", // content scripts are classic scripts; one format for all
  target: ["chrome110"],
  outdir: staging,
  legalComments: "none",
  define: { __DEFAULT_SERVER__: JSON.stringify(server) },
  logLevel: "warning",
});
for (const name of readdirSync(join(here, "static"))) {
  writeFileSync(join(staging, name), readFileSync(join(here, "static", name)));
}
for (const size of [16, 48, 128]) writeFileSync(join(staging, `icon-${size}.png`), icon(size));
writeFileSync(join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// swap the finished folder in whole: Chrome never loads half a build
rmSync(out, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
renameSync(staging, out);
const files = readdirSync(out).sort();
mkdirSync(dirname(archive), { recursive: true });
writeFileSync(archive, zip(files.map((name) => [name, readFileSync(join(out, name))])));
console.log(`built ${relative(process.cwd(), out) || "."} and ${relative(process.cwd(), archive)}: ${files.join(", ")}`);
