import { defineProject } from "vitest/config";
import { sharedConfig } from "../../config/vitest.shared.ts";

export default defineProject(sharedConfig);
