import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The tab renders many sections (charts included); under `npm test` every workspace's suites share
// two cores, so a render can take seconds and a test that types and clicks through a dialog a
// minute. Wait for them, do not fail on them.
jest.setTimeout(120_000);
configure({ asyncUtilTimeout: 10_000 });
