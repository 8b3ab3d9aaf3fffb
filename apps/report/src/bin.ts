#!/usr/bin/env node
/** The `dmasim` executable: runs the CLI on the process's arguments and streams. */
import { main } from "./cli";
import { processIo } from "./io/cli-io";

process.exitCode = await main(process.argv.slice(2), processIo());
