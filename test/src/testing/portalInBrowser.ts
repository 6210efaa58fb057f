import { Browser, launchBrowser } from './browser';
import { signInAsGuest } from './portalPage';
import { Stack, startStack, waitForComponents } from './stack';

export interface PortalInBrowser {
  stack: Stack;
  browser: Browser;
}

/**
 * Registers the suite's beforeAll/afterAll: ONE stack serving the built app for the whole file
 * (starting it costs about a minute, switching scenarios a few seconds), and Debian's Chromium
 * signed in as the guest once the catalog has the named components. The returned object is
 * filled in by beforeAll.
 */
export function portalInBrowser(options: {
  scenario: string;
  /** Demo components the tests open: a fresh backend ingests the catalog in the background. */
  components: string[];
}): PortalInBrowser {
  const portal = {} as PortalInBrowser;
  beforeAll(async () => {
    portal.stack = await startStack({ app: true, scenario: options.scenario });
    await waitForComponents(portal.stack, options.components);
    // The guest's token carries its team only once the catalog has the groups: sign in after.
    await portal.stack.guestToken();
    portal.browser = await launchBrowser();
    await signInAsGuest(portal.browser.page, portal.stack.appUrl);
  }, 900_000);
  afterAll(async () => {
    await portal.browser?.close();
    await portal.stack?.stop();
  }, 60_000);
  return portal;
}
