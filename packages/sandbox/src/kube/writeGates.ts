/**
 * Test knobs on the API server's write path, for tests that must stop a client at an exact step
 * rather than sleep: a **hold** keeps the next matching write waiting before it is applied (the
 * client sees a slow API server) until released; a **fault** answers the next N matching writes
 * with an error status (500 or 409) without applying them. A held write whose client went away
 * (a killed backend) is never applied, as a request that never reached etcd.
 */
import type http from 'http';

export interface WriteMatch {
  /** Resource name as in the URL: `secrets`, `deployments` ... */
  resource: string;
  name?: string;
  namespace?: string;
  /** Match dry runs too. Default false: only writes that would persist. */
  dryRun?: boolean;
}

export interface WriteFault extends WriteMatch {
  status: 500 | 409;
  /** How many writes get the error. Default 1. */
  count: number;
}

export interface HeldWrite {
  resource: string;
  namespace?: string;
  name?: string;
  since: string;
}

interface Waiting extends HeldWrite {
  release: () => void;
}

export interface WriteAttempt {
  resource: string;
  namespace?: string;
  name?: string;
  dryRun: boolean;
}

function matches(rule: WriteMatch, w: WriteAttempt): boolean {
  return (
    rule.resource === w.resource &&
    (rule.name === undefined || rule.name === w.name) &&
    (rule.namespace === undefined || rule.namespace === w.namespace) &&
    (rule.dryRun === true || !w.dryRun)
  );
}

export class WriteGates {
  private holdRules: WriteMatch[] = [];
  private waiting: Waiting[] = [];
  private faultRules: WriteFault[] = [];

  /** The next write matching `rule` waits until `release()`. */
  hold(rule: WriteMatch) {
    this.holdRules.push(rule);
  }

  /** Lets every held write go on and forgets the hold rules not used yet. */
  release(): number {
    const held = this.waiting.length;
    for (const w of this.waiting.splice(0)) w.release();
    this.holdRules = [];
    return held;
  }

  state(): { rules: WriteMatch[]; held: HeldWrite[]; faults: WriteFault[] } {
    return {
      rules: [...this.holdRules],
      held: this.waiting.map(({ release: _r, ...w }) => w),
      faults: this.faultRules.map(f => ({ ...f })),
    };
  }

  fault(rule: WriteFault) {
    this.faultRules.push({ ...rule });
  }

  clearFaults() {
    this.faultRules = [];
  }

  /** The error status the write gets instead of being applied, if a fault rule takes it. */
  takeFault(w: WriteAttempt): 500 | 409 | undefined {
    const rule = this.faultRules.find(r => r.count > 0 && matches(r, w));
    if (!rule) return undefined;
    rule.count -= 1;
    if (rule.count <= 0)
      this.faultRules = this.faultRules.filter(r => r !== rule);
    return rule.status;
  }

  /**
   * Waits if a hold rule takes the write. Resolves true to go on, false when the client went away
   * while it was held (the write is then dropped).
   */
  async pass(w: WriteAttempt, req: http.IncomingMessage): Promise<boolean> {
    const index = this.holdRules.findIndex(r => matches(r, w));
    if (index < 0) return true;
    this.holdRules.splice(index, 1);
    return new Promise<boolean>(resolve => {
      const listeners: { gone?: () => void } = {};
      const entry: Waiting = {
        resource: w.resource,
        ...(w.namespace ? { namespace: w.namespace } : {}),
        ...(w.name ? { name: w.name } : {}),
        since: new Date().toISOString(),
        release: () => {
          if (listeners.gone) req.socket.off('close', listeners.gone);
          resolve(!req.socket.destroyed);
        },
      };
      listeners.gone = () => {
        this.waiting = this.waiting.filter(x => x !== entry);
        resolve(false);
      };
      req.socket.once('close', listeners.gone);
      this.waiting.push(entry);
    });
  }
}
