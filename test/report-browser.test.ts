// The report in a real browser: headless Chromium (Debian's chromium-headless-shell, installed by
// .ci/run) loads the page written for a campaign, the dumped DOM must hold the timelines with one
// lane per CPU and one mark per preemption point, the screenshot (artifacts/report.png) must show
// the task colours and the finding's red, and it is kept for people to look at. Without a
// browser the test fails in CI (CI=true) and is skipped, saying why, elsewhere.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";
import { main } from "../src/cli/main.js";
import { parseBugs } from "../src/bugs/switches.js";
import { parseCorpusFile } from "../src/corpus/file.js";
import { execute } from "../src/exec/executor.js";
import { PROJECT_ROOT } from "../src/fuzzing/paths.js";
import { campaignFixture, FIVE_CPUS, ONE_CPU } from "./report-fixture.js";

const NAMES = ["chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"];

function findChromium(): string | undefined {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? "").split(delimiter))
    for (const n of NAMES) if (dir && existsSync(join(dir, n))) return join(dir, n);
  return undefined;
}

const WIDTH = 1400;
const HEIGHT = 2300;
const chromium = findChromium();
const inCI = process.env.CI === "true";
const missing = "no headless Chromium (apt-get install chromium-headless-shell, or CHROMIUM=/path/to/it)";

function browse(url: string, ...flags: string[]): string {
  return execFileSync(chromium!, ["--no-sandbox", "--disable-gpu", "--hide-scrollbars", `--window-size=${WIDTH},${HEIGHT}`, ...flags, url], {
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** RGBA rows of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes). */
function decodePng(buf: Buffer): { width: number; height: number; rgba: (x: number, y: number) => number[] } {
  expect(buf.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  let pos = 8;
  let width = 0, height = 0, type = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === "IHDR") {
      [width, height, type] = [data.readUInt32BE(0), data.readUInt32BE(4), data[9]!];
      expect([data[8], data[12]]).toEqual([8, 0]);
    }
    if (kind === "IDAT") idat.push(data);
    pos += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3;
  expect([2, 6]).toContain(type);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? px[y * stride + i - bpp]! : 0;
      const b = y ? px[(y - 1) * stride + i]! : 0;
      const c = y && i >= bpp ? px[(y - 1) * stride + i - bpp]! : 0;
      const paeth = () => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const pred = [0, a, b, (a + b) >> 1, paeth()][f]!;
      px[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return { width, height, rgba: (x, y) => [...px.subarray(y * stride + x * bpp, y * stride + x * bpp + 3)] };
}

const hex = (rgb: number[]) => "#" + rgb.map((v) => v.toString(16).padStart(2, "0")).join("");
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe("futex-fuzz report in headless Chromium", () => {
  it.skipIf(!chromium && !inCI)(`renders the races and charts${chromium ? "" : ` (skipped: ${missing})`}`, async () => {
    if (!chromium) throw new Error(`${missing}; CI=true needs it`);
    const work = campaignFixture();
    const page = join(work, "report.html");
    let out = "";
    expect(await main(["report", work, "-o", page], { out: (s) => void (out += s), err: (s) => void (out += s) })).toBe(0);

    // the DOM as Chromium parsed it: every timeline with its lanes, marks and event bands
    const dom = browse(pathToFileURL(page).href, "--dump-dom");
    const sections = dom.split('<section class="finding"').slice(1);
    expect(sections).toHaveLength(2);
    [ONE_CPU, FIVE_CPUS].forEach((file, i) => {
      const f = parseCorpusFile(readFileSync(file, "utf8"), file);
      const v = execute(f.program, { bugs: parseBugs(f.bugs), trace: true });
      const points = v.trace.filter((e) => !e.label.startsWith("# "));
      const s = sections[i]!;
      expect(count(s, /<svg class="race-timeline"/g), file).toBe(1);
      expect(count(s, /<g class="lane"/g), file).toBe(f.program.cpus);
      expect(count(s, /<rect class="pt"/g), file).toBe(points.length);
      expect(count(s, /<g class="ev"/g), file).toBe(new Set(points.map((e) => e.event)).size);
      expect(count(s, /<g class="fired"/g), file).toBe(v.findings.length);
    });
    expect([count(sections[1]!, /<g class="lane"/g), count(dom, /<svg class="chart"/g), count(dom, /<polyline class="series"/g)]).toEqual([5, 4, 4]);

    // the pixels: the page was laid out and painted, task colours and the finding's red show
    const shot = join(PROJECT_ROOT, "artifacts", "report.png");
    mkdirSync(join(PROJECT_ROOT, "artifacts"), { recursive: true });
    browse(pathToFileURL(page).href, `--screenshot=${shot}`);
    const png = decodePng(readFileSync(shot));
    expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
    const seen = new Set<string>();
    for (let y = 0; y < png.height; y += 2) for (let x = 0; x < png.width; x += 2) seen.add(hex(png.rgba(x, y)));
    for (const colour of ["#4e79a7", "#f28e2b", "#59a14f", "#cf222e", "#0969da"]) expect(seen, colour).toContain(colour);
  });
});
