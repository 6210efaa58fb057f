import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The tab renders many sections (charts included); under `npm test` every workspace's suites share
// two cores, so the first render of a suite can take seconds. Wait for it, do not fail on it.
jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 5_000 });
