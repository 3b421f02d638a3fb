/**
 * A bare entry that runs one snapshotter (and, with `--with-fold`, the history fold) from the
 * environment, for tests that need real processes to kill; operators use `interest-stream snapshotter`.
 */
import { loadConfig } from '../core/config.js';
import { createRootLogger } from '../core/logger.js';
import { startHistoryFold, startSnapshotter } from './main.js';

const config = loadConfig(process.env);
const logger = createRootLogger({ level: config.logLevel, name: 'interest-stream snapshotter' });
const handles: Array<{ close(): Promise<void> }> = [await startSnapshotter(config, logger)];
if (process.argv.includes('--with-fold')) handles.push(await startHistoryFold(config, logger));

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  Promise.all(handles.reverse().map((h) => h.close())).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
