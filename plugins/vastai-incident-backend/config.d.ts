/**
 * Configuration of the Vast.ai incident backend plugin. Clusters are not configured here: an
 * integration names a cluster of the Kubernetes plugin's own config
 * (`kubernetes.clusterLocatorMethods[].clusters[]`, type `config`).
 */
export interface Config {
  vastaiIncident?: {
    /** Whether remediation actions may change anything (false: dry runs only). Default false. */
    actionsEnabled?: boolean;
    /**
     * A production start is one whose config sets `auth.environment: production` (as
     * app-config.production.yaml does). Such a start fails when an integration's Slack webhook
     * or Statuspage API is on a loopback address (`localhost`, `127.0.0.0/8`, `::1`, `0.0.0.0`),
     * where only the sandbox's receivers listen, unless this is true. Default false.
     */
    allowLoopbackComms?: boolean;
    /** How long probe results are shared between viewers, in seconds. Default 15. */
    cacheTtlSeconds?: number;
    /** Deadline of every single upstream call, in milliseconds. Default 3000. */
    upstreamTimeoutMs?: number;
    /**
     * Deadline of a whole triage (all probes in parallel), in milliseconds.
     * Default: `upstreamTimeoutMs` (the probes run in parallel, so one deadline bounds them all).
     */
    triageTimeoutMs?: number;
    /** Largest upstream answer read, in bytes. Default 1048576 (1 MiB). */
    maxResponseBytes?: number;
    /** How long a last known good value may be served as stale, in seconds. Default 3600. */
    staleMaxAgeSeconds?: number;
    /**
     * How old each source's reading may be, in seconds, and still count as current evidence
     * (an older one is shown, labelled stale, and never counts as evidence that Vast.ai is
     * healthy). Default: three probe intervals (`vendorApi`: of the vendor probe interval,
     * the others: of `cacheTtlSeconds`).
     */
    freshnessSeconds?: {
      vendorStatus?: number;
      vendorApi?: number;
      health?: number;
      metrics?: number;
      kubernetes?: number;
    };

    vendor?: {
      /** Vast.ai REST base, e.g. https://console.vast.ai/api/v0 (paths end with a slash). */
      apiBaseUrl?: string;
      /**
       * The operator's Vast.ai API key: used for the product's own probe and for key rotation,
       * never the integration's key.
       * @visibility secret
       */
      operatorApiKey?: string;
      /** Minimum interval between the product's own vendor API probes, in seconds. Default 30. */
      probeMinIntervalSeconds?: number;
      status?: {
        /** The status page format. `none`: no status source (the signal stays unknown). */
        type?: 'statuspage' | 'none';
        /** The page's base URL (…/api/v2/summary.json is appended) or the JSON URL itself. */
        url?: string;
      };
    };

    prometheus?: {
      /** Prometheus HTTP API base, e.g. http://prometheus:9090 */
      baseUrl: string;
      /** Range of rate() windows, a PromQL duration. Default 5m. */
      rateWindow?: string;
    };

    /** SSRF guard for integration health URLs. */
    ssrf?: {
      /**
       * Hosts (names or IP literals) allowed even though they are link-local or cloud metadata
       * addresses, which are refused otherwise.
       */
      allowedHosts?: string[];
    };

    /**
     * The integrations, keyed by the value of the entity annotation `vast.ai/integration`. The
     * annotation only says which integration an entity means; `entities` says which entities may
     * use it.
     */
    integrations?: {
      [name: string]: {
        /**
         * The entities bound to this integration, as entity refs (`kind:namespace/name`, e.g.
         * `component:default/vastai-integration`). Only these may use its deployment, Secret,
         * logs, Slack channel and status page: any other entity whose annotation names the
         * integration is refused (403, naming this missing binding) on every route. Unset or
         * empty: no entity may use it.
         */
        entities?: string[];
        /** Display name. */
        title?: string;
        /** The service's health endpoint (JSON). */
        healthUrl?: string;
        /** The Prometheus `job` label of the service's scrape target. */
        prometheusJob?: string;
        kubernetes?: {
          /** A cluster name from kubernetes.clusterLocatorMethods[].clusters[]. */
          cluster: string;
          namespace: string;
          deployment: string;
          /** The container whose env and logs matter. Default: the first container. */
          container?: string;
          /** The Secret holding the service's Vast.ai key, and its key name. */
          secretName?: string;
          secretKey?: string;
        };
        /** Triage thresholds for this integration; defaults from the runbook. */
        thresholds?: {
          vendor5xxPerMinute?: number;
          authErrorsPerMinute?: number;
          rateLimitedPerMinute?: number;
          p99LatencySeconds?: number;
          errorRatio?: number;
          /** Our probe is slow above this many seconds, whatever its usual latency. Default 1. */
          probeSlowSeconds?: number;
          /** Our probe is slow above this multiple of its usual latency. Default 5. */
          probeSlowFactor?: number;
        };
        /**
         * Where the tab points people, each an http(s) URL (anything else fails the start).
         * Shown in the triage summary, opening in a new tab.
         */
        links?: {
          /** The vendor's status page, for people. Default https://status.vast.ai */
          vendorStatus?: string;
          /**
           * Where to ask the vendor for help. Default https://discord.gg/vast (the support
           * contact Vast.ai's API description names).
           */
          vendorSupport?: string;
          /** The team's runbook for this integration. No default: no runbook link. */
          runbook?: string;
        };
        /** Slack incoming webhook for the internal incident messages. */
        slack?: {
          /**
           * The webhook URL (the URL is the secret).
           * @visibility secret
           */
          webhookUrl: string;
        };
        /** The company's own Statuspage, for the external incident notice. */
        statuspage?: {
          /** Default https://api.statuspage.io/v1 */
          apiBaseUrl?: string;
          pageId: string;
          /**
           * Statuspage API key (sent as `Authorization: OAuth <key>`).
           * @visibility secret
           */
          apiKey: string;
          /** The component whose status follows the incident's severity. */
          componentId?: string;
          /**
           * The public words: the status page's incident name and message come from this
           * template alone, never from the internal title, impact or triage. Each key left out
           * keeps the runbook's default ("Vast.ai Integration Issue").
           */
          publicTemplate?: {
            /** The public incident's name. Default "Vast.ai Integration Issue". */
            name?: string;
            /** The user impact told the public per severity; `{impact}` in the body. */
            impact?: { P1?: string; P2?: string; P3?: string; P4?: string };
            /** The message per incident status; `{impact}` and `{lastUpdated}` are filled in. */
            body?: {
              investigating?: string;
              identified?: string;
              monitoring?: string;
              resolved?: string;
            };
          };
        };
        /**
         * PagerDuty (Events API v2): a P1 or P2 incident can page the service behind the routing
         * key (previewed, sent by a person allowed `vastai.comms.send`), acknowledge it, and
         * resolves the page when the incident resolves. The incident id is the dedup key.
         */
        pagerduty?: {
          /** Default https://events.pagerduty.com/v2/enqueue (EU: https://events.eu.pagerduty.com/v2/enqueue). */
          eventsUrl?: string;
          /**
           * The integration key of the service's Events API v2 integration.
           * @visibility secret
           */
          routingKey: string;
          /** `payload.source` of the alert. Default: the incident's entity ref. */
          source?: string;
          /** `payload.group` of the alert. Default: the integration's name. */
          group?: string;
        };
      };
    };

    /** Remediation actions (see also `actionsEnabled`). */
    actions?: {
      /** Minimum seconds after any action on a deployment before the next one on it. Default 60. */
      cooldownSeconds?: number;
      /** Deadline for the rollout and the recovery of the triggering signal, in seconds. Default 180. */
      verifyTimeoutSeconds?: number;
      /** How often rollout and signals are read while verifying, in seconds. Default 2. */
      verifyPollSeconds?: number;
      /** `rotate-api-key` waits for a second person's approval. Default false. */
      requireSecondApprovalForKeyRotation?: boolean;
      /**
       * Minutes a rotation waits for that second approval; then it ends rejected
       * (`approval-expired`) and nothing is changed. Default 60.
       */
      approvalTimeoutMinutes?: number;
      /**
       * Seconds a running run's lease lasts. The backend replica running it renews it every few
       * seconds (a third of it, at most every 5 s); when it is not renewed in time (the replica
       * crashed), any replica ends the run `interrupted`, releases the deployment's lock and records
       * the steps that happened. Default 30.
       */
      runLeaseSeconds?: number;
      /**
       * Seconds between two looks, on each replica, for runs whose lease ran out and approvals that
       * expired. A crashed replica's run is interrupted within runLeaseSeconds + sweepIntervalSeconds
       * (at once if another action is asked for on that deployment after the lease ran out).
       * Default 10.
       */
      sweepIntervalSeconds?: number;
    };

    /**
     * The plugin's Backstage actions (`vastai-incident:*`), which the MCP actions backend serves
     * to AI assistants at `/api/mcp-actions/v1`.
     */
    mcp?: {
      /**
       * Whether `vastai-incident:run-remediation` may run `rotate-api-key`. Even then the caller
       * needs `vastai.secret.rotate` on the entity, and a second person's approval when
       * `actions.requireSecondApprovalForKeyRotation` is set. Default false.
       */
      allowKeyRotation?: boolean;
    };

    /** Incident records. */
    incidents?: {
      /** Largest evidence bundle, in bytes. Default 10485760 (10 MiB). */
      maxEvidenceBytes?: number;
      /**
       * Minutes of evidence before the declaration: metrics, logs and audit rows in a bundle
       * cover declared-at minus this to resolved-at (or now). Default 15; 0 to 1440.
       */
      evidenceLeadMinutes?: number;
      /**
       * When the team works, for the runbook's P4 target "next business day": a P4 is due at
       * the close of the first business day that opens after its declaration (raised Friday
       * evening: due Monday at `end`). P1-P3 targets (15 min, 1 h, 4 h) run around the clock.
       * Default: UTC, Monday to Friday, 09:00-17:00, no holidays.
       */
      businessHours?: {
        /** IANA time zone, e.g. Europe/Berlin. Default UTC. */
        timeZone?: string;
        /** ISO weekdays that are business days, 1 = Monday ... 7 = Sunday. Default [1, 2, 3, 4, 5]. */
        days?: number[];
        /** Opening time, HH:MM local. Default 09:00. */
        start?: string;
        /** Closing time, HH:MM local, after start. Default 17:00. */
        end?: string;
        /** Local dates (YYYY-MM-DD) that are not business days. Default none. */
        holidays?: string[];
      };
    };
  };
}
