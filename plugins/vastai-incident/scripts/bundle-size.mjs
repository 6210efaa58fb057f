#!/usr/bin/env node
/*
 * How much JavaScript the Vast.ai incident plugin adds to the app: to the initial bundle (the
 * scripts index.html loads) and to the lazy chunks (the tab, each card). Reads the app's build
 * output (packages/app/dist, from `npx backstage-cli package build` in packages/app) and its
 * source maps, and attributes every minified byte to the source file it came from.
 *
 * Usage: node plugins/vastai-incident/scripts/bundle-size.mjs [path/to/app/dist] [--json]
 */
/* eslint-disable no-console */ // a command-line report
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const distDir = path.resolve(
  args.find(a => !a.startsWith('--')) ??
    path.join(here, '../../../packages/app/dist'),
);
const OURS = /plugins\/vastai-incident(-common)?\//;
const CHART_LIBRARY = /node_modules\/recharts\//;
const TAB_SOURCE =
  /plugins\/vastai-incident\/src\/components\/IncidentTab\/VastaiIncidentContent\.tsx$/;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one source-map "mappings" line into [generatedColumn, sourceIndex | -1] segments. */
function decodeLine(line, state) {
  const segments = [];
  let column = 0;
  for (const segment of line.split(',')) {
    if (!segment) continue;
    const fields = [];
    let value = 0;
    let shift = 0;
    for (const char of segment) {
      const digit = B64_INDEX.get(char);
      value += (digit & 31) << shift;
      if (digit & 32) {
        shift += 5;
      } else {
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    column += fields[0];
    if (fields.length >= 4) {
      state.source += fields[1];
      segments.push([column, state.source]);
    } else {
      segments.push([column, -1]);
    }
  }
  return segments;
}

/** Bytes of generated code per source file, and the text that came from our sources. */
function attribute(code, map) {
  const lines = code.split('\n');
  const mappingLines = map.mappings.split(';');
  const bytesBySource = new Map();
  let oursText = '';
  const state = { source: 0 };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const segments = decodeLine(mappingLines[i] ?? '', state);
    for (let s = 0; s < segments.length; s++) {
      const [start, sourceIndex] = segments[s];
      const end = s + 1 < segments.length ? segments[s + 1][0] : line.length;
      if (sourceIndex < 0 || end <= start) continue;
      const source = map.sources[sourceIndex];
      const text = line.slice(start, end);
      const bytes = Buffer.byteLength(text);
      bytesBySource.set(source, (bytesBySource.get(source) ?? 0) + bytes);
      if (OURS.test(source)) oursText += text;
    }
  }
  return { bytesBySource, oursText };
}

const gzipSize = text => zlib.gzipSync(text, { level: 9 }).length;
const kb = n => `${(n / 1024).toFixed(1)} KiB`;

function readChunks() {
  const html = fs.readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const initial = new Set(
    [...html.matchAll(/<script[^>]+src="[^"]*?\/?static\/([^"]+\.js)"/g)].map(
      m => m[1],
    ),
  );
  const staticDir = path.join(distDir, 'static');
  const chunks = [];
  for (const file of fs.readdirSync(staticDir).filter(f => f.endsWith('.js'))) {
    const code = fs.readFileSync(path.join(staticDir, file), 'utf8');
    const mapFile = path.join(staticDir, `${file}.map`);
    const chunk = {
      file,
      initial: initial.has(file),
      bytes: Buffer.byteLength(code),
      gzipBytes: gzipSize(code),
      oursBytes: 0,
      oursGzipBytesApprox: 0,
      ourSources: [],
      isTab: false,
      hasChartLibrary: false,
    };
    if (fs.existsSync(mapFile)) {
      const map = JSON.parse(fs.readFileSync(mapFile, 'utf8'));
      // The tab's charts pull recharts (and its d3 parts) into a chunk of their own.
      chunk.hasChartLibrary = map.sources.some(s => CHART_LIBRARY.test(s));
      if (map.sources.some(s => OURS.test(s))) {
        const { bytesBySource, oursText } = attribute(code, map);
        for (const [source, bytes] of bytesBySource) {
          if (!OURS.test(source)) continue;
          chunk.oursBytes += bytes;
          chunk.ourSources.push({
            source: source.replace(/^.*?plugins\//, 'plugins/'),
            bytes,
          });
        }
        chunk.oursGzipBytesApprox = oursText ? gzipSize(oursText) : 0;
        chunk.ourSources.sort((a, b) => b.bytes - a.bytes);
        chunk.isTab = map.sources.some(s => TAB_SOURCE.test(s));
      }
    }
    chunks.push(chunk);
  }
  return chunks;
}

function main() {
  if (!fs.existsSync(path.join(distDir, 'index.html'))) {
    console.error(
      `No app build at ${distDir}: run \`npx backstage-cli package build\` in packages/app first.`,
    );
    process.exit(1);
  }
  const chunks = readChunks();
  const initial = chunks.filter(c => c.initial);
  const ourInitial = initial.filter(c => c.oursBytes > 0);
  const ourLazy = chunks.filter(c => !c.initial && c.oursBytes > 0);
  const tab = ourLazy.find(c => c.isTab);
  const chartChunks = chunks.filter(c => c.hasChartLibrary);
  const sum = (list, key) => list.reduce((n, c) => n + c[key], 0);

  const result = {
    distDir,
    initialBundle: {
      totalBytes: sum(initial, 'bytes'),
      totalGzipBytes: sum(initial, 'gzipBytes'),
      pluginBytes: sum(ourInitial, 'oursBytes'),
      pluginGzipBytesApprox: sum(ourInitial, 'oursGzipBytesApprox'),
      pluginSources: ourInitial.flatMap(c => c.ourSources),
    },
    tabChunk: tab && {
      file: tab.file,
      bytes: tab.bytes,
      gzipBytes: tab.gzipBytes,
      pluginBytes: tab.oursBytes,
    },
    chartLibraryChunks: chartChunks.map(c => ({
      file: c.file,
      initial: c.initial,
      bytes: c.bytes,
      gzipBytes: c.gzipBytes,
    })),
    lazyChunks: ourLazy.map(c => ({
      file: c.file,
      bytes: c.bytes,
      gzipBytes: c.gzipBytes,
      pluginBytes: c.oursBytes,
      entry: c.isTab
        ? 'tab'
        : c.ourSources.find(s => /\/cards\/\w+Card\.tsx$/.test(s.source))
            ?.source,
    })),
  };

  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const i = result.initialBundle;
  console.log(`App build: ${distDir}`);
  console.log(
    `Initial bundle: ${kb(i.totalBytes)} (${kb(i.totalGzipBytes)} gzip) in ${
      initial.length
    } scripts`,
  );
  console.log(
    `  of which the plugin: ${kb(i.pluginBytes)} minified (~${kb(
      i.pluginGzipBytesApprox,
    )} gzip)`,
  );
  for (const s of i.pluginSources)
    console.log(`    ${String(s.bytes).padStart(7)} B  ${s.source}`);
  if (tab) {
    console.log(
      `Tab lazy chunk ${tab.file}: ${kb(tab.bytes)} (${kb(
        tab.gzipBytes,
      )} gzip), plugin code ${kb(tab.oursBytes)}`,
    );
  } else {
    console.log('Tab lazy chunk: not found (is the tab still lazily loaded?)');
  }
  for (const c of result.chartLibraryChunks) {
    console.log(
      `Chart library (recharts) chunk ${c.file}: ${kb(c.bytes)} (${kb(
        c.gzipBytes,
      )} gzip), ${
        c.initial
          ? 'IN THE INITIAL BUNDLE'
          : 'lazy: loaded with the tab (shared by anything else charting)'
      }`,
    );
  }
  console.log('Lazy chunks with plugin code:');
  for (const c of result.lazyChunks) {
    console.log(
      `  ${c.file.padEnd(28)} ${kb(c.bytes).padStart(10)} (${kb(
        c.gzipBytes,
      )} gzip), plugin ${kb(c.pluginBytes)}  ${c.entry ?? ''}`,
    );
  }
}

main();
