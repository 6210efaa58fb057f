import type http from 'node:http';
import { pathOf, sendJson, sendText, SimulatedServer } from '../http/server';
import { renderStatusPage, specFor, StatusPageSpec } from './statusPageData';

export const STATUS_PAGE_MODES = ['json', 'html', 'garbage', 'hang'] as const;
export type StatusPageMode = (typeof STATUS_PAGE_MODES)[number];

/** The vendor's status page in Statuspage v2 format, or (by mode) the ways a real one disappoints. */
export class StatusPage extends SimulatedServer {
  private spec: StatusPageSpec = specFor();
  private enteredAt = Date.now();
  private mode: StatusPageMode = 'json';

  setSpec(spec: StatusPageSpec) {
    this.spec = spec;
    this.enteredAt = Date.now();
  }

  setMode(mode: StatusPageMode) {
    this.mode = mode;
  }

  getMode(): StatusPageMode {
    return this.mode;
  }

  render() {
    return renderStatusPage(this.spec, this.enteredAt);
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const { path } = pathOf(req);
    if (this.mode === 'hang') return undefined; // never answers; the socket is destroyed on stop
    if (this.mode === 'html') {
      // What status.vast.ai was seen to serve: an HTML shell with no machine-readable status.
      return sendText(
        res,
        200,
        '<!DOCTYPE html><html><head><title>Vast.ai Status</title></head><body><div id="root"></div>' +
          '<script src="/static/js/main.8f3a1c.js"></script></body></html>',
        'text/html; charset=utf-8',
      );
    }
    if (this.mode === 'garbage') {
      return sendText(
        res,
        200,
        '{"page":{"id":"vst4sndbx01","name":"Vast.ai"},"status":{"indicator":"no',
        'application/json',
      );
    }
    const rendered = this.render();
    const docs: Record<string, unknown> = {
      '/api/v2/summary.json': rendered.summary,
      '/api/v2/status.json': rendered.status,
      '/api/v2/incidents.json': rendered.incidents,
      '/api/v2/incidents/unresolved.json': rendered.unresolved,
      '/api/v2/components.json': rendered.components,
    };
    const doc = docs[path];
    if (doc) return sendJson(res, 200, doc);
    if (path === '/' || path === '/index.html') {
      return sendText(
        res,
        200,
        `<html><body><h1>Vast.ai Status</h1><p>${rendered.status.status.description}</p></body></html>`,
        'text/html',
      );
    }
    return sendJson(res, 404, { error: 'Not found' });
  }
}
