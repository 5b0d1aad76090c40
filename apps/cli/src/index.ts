#!/usr/bin/env node
import { CONTRACT_SCHEMA_VERSION } from "@ops/contract";
process.stdout.write(`${CONTRACT_SCHEMA_VERSION}\n`);
