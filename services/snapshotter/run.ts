/**
 * A bare entry that runs one snapshotter (and, with `--with-fold`, the history fold) from the
 * environment, for tests that need real processes to kill; operators use `interest-stream snapshotter`.
 */
import { loadConfig } from '../core/config.js';
import { createRootLogger } from '../core/logger.js';
import { startSnapshotterProcess } from './main.js';
import { SignalTrap } from '../core/lifecycle.js';

const config = loadConfig(process.env);
const logger = createRootLogger({ level: config.logLevel, name: 'interest-stream snapshotter' });
// Installed first: a signal during start-up closes what has started once it can.
const trap = SignalTrap.install(logger);
// startSnapshotterProcess closes what it started if its start-up fails.
const snapshotter = await startSnapshotterProcess(config, logger, { fold: process.argv.includes('--with-fold') });
trap.serve(() => snapshotter.close(), config.shutdownGraceMs);
