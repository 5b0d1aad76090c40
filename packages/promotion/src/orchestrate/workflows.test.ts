// The two GitHub workflows of spec 34, parsed with js-yaml: triggers, permissions, concurrency,
// pinned actions, inputs and their environment mapping — and the command steps' shell scripts run
// for real with bash, against a stand-in `apps/cli/dist/index.js` that records its argument vector.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir, type TempDir } from "@ops/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const yaml = require("js-yaml") as { load(text: string): unknown };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const CHECKOUT_SHA = "de0fac2e4500dabe0009e67214ff5f5447ce83dd";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string;
  "timeout-minutes": number;
  env: Record<string, string>;
  steps: Step[];
}
interface InputSpec {
  type: string;
  required?: boolean;
  default?: unknown;
  options?: string[];
}
interface Workflow {
  name: string;
  on: { workflow_dispatch: { inputs: Record<string, InputSpec> }; schedule?: Array<{ cron: string }> };
  permissions: Record<string, string>;
  concurrency: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

function load(file: string): Workflow {
  // js-yaml (YAML 1.2 core schema) keeps the `on` key a string, as GitHub reads it.
  return yaml.load(readFileSync(path.join(ROOT, ".github/workflows", file), "utf8")) as Workflow;
}

const gates = load("ops-manager-promotion-gates.yml");
const rollout = load("ops-manager-promotion-rollout.yml");

/** [input, type, required, default, env variable] — spec 34 §2.1 / §3.1 (+ the Q4 seam inputs). */
const GATES_INPUTS: Array<[string, string, boolean, unknown, string]> = [
  ["repo_path", "string", false, ".", "INPUT_REPO_PATH"],
  ["skip_on_missing_evidence", "boolean", false, true, "INPUT_SKIP_MISSING"],
  ["fail_on_hold", "boolean", false, false, "INPUT_FAIL_ON_HOLD"],
  ["window_executions", "string", false, "20", "INPUT_WINDOW_EXECUTIONS"],
  ["min_sample_size", "string", false, "20", "INPUT_MIN_SAMPLE_SIZE"],
  ["max_ambiguity_rate", "string", false, "0.2", "INPUT_MAX_AMBIGUITY_RATE"],
  ["max_failure_rate", "string", false, "0.2", "INPUT_MAX_FAILURE_RATE"],
  ["max_manual_backlog", "string", false, "5", "INPUT_MAX_MANUAL_BACKLOG"],
  ["max_drill_age_hours", "string", false, "168", "INPUT_MAX_DRILL_AGE_HOURS"],
];
const ROLLOUT_INPUTS: Array<[string, string, boolean, unknown, string]> = [
  ["repo_path", "string", false, ".", "INPUT_REPO_PATH"],
  ["mode", "choice", true, "dry_run", "INPUT_MODE"],
  ["apply_intent", "choice", false, "expand", "INPUT_APPLY_INTENT"],
  ["expand_step", "string", false, "25", "INPUT_EXPAND_STEP"],
  ["skip_on_missing_evidence", "boolean", false, true, "INPUT_SKIP_MISSING"],
  ["fail_on_hold", "boolean", false, false, "INPUT_FAIL_ON_HOLD"],
  ["window_executions", "string", false, "20", "INPUT_WINDOW_EXECUTIONS"],
  ["min_sample_size", "string", false, "20", "INPUT_MIN_SAMPLE_SIZE"],
  ["max_ambiguity_rate", "string", false, "0.2", "INPUT_MAX_AMBIGUITY_RATE"],
  ["max_failure_rate", "string", false, "0.2", "INPUT_MAX_FAILURE_RATE"],
  ["max_manual_backlog", "string", false, "5", "INPUT_MAX_MANUAL_BACKLOG"],
  ["max_drill_age_hours", "string", false, "168", "INPUT_MAX_DRILL_AGE_HOURS"],
  ["idempotency_key", "string", false, "", "INPUT_IDEMPOTENCY_KEY"],
  ["trace_id", "string", false, "", "INPUT_TRACE_ID"],
  ["by", "string", false, "", "INPUT_BY"],
  ["approval_ref", "string", false, "", "INPUT_APPROVAL_REF"],
  ["rationale", "string", false, "", "INPUT_RATIONALE"],
  ["review_by", "string", false, "", "INPUT_REVIEW_BY"],
  ["loop_id", "string", false, "", "INPUT_LOOP_ID"],
  ["horizon_ref", "string", false, "", "INPUT_HORIZON_REF"],
  ["evidence_refs", "string", false, "", "INPUT_EVIDENCE_REFS"],
];

function step(job: Job, name: string): Step {
  const found = job.steps.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no step named ${name}`);
  return found;
}

describe.each([
  {
    workflow: gates,
    display: "Ops Manager Promotion Gates",
    jobId: "promotion-gates",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression / bash syntax, not a template
    group: "ops-manager-promotion-gates-${{ github.ref }}",
    command: "Evaluate guarded-auto promotion gates",
    show: "Show promotion CI artifacts",
    inputs: GATES_INPUTS,
  },
  {
    workflow: rollout,
    display: "Ops Manager Promotion Rollout",
    jobId: "promotion-rollout",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression / bash syntax, not a template
    group: "ops-manager-promotion-rollout-${{ github.ref }}",
    command: "Orchestrate promotion rollout transition",
    show: "Show promotion rollout artifacts",
    inputs: ROLLOUT_INPUTS,
  },
])("$display", ({ workflow, display, jobId, group, command, show, inputs }) => {
  const job = workflow.jobs[jobId] as Job;

  it("job settings of spec 34 §1", () => {
    expect(workflow.name).toBe(display);
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.concurrency).toEqual({ group, "cancel-in-progress": false });
    expect(Object.keys(workflow.jobs)).toEqual([jobId]);
    expect(job["runs-on"]).toBe("ubuntu-latest");
    expect(job["timeout-minutes"]).toBe(10);
    const names = job.steps.map((s) => s.name);
    expect(names.indexOf(command)).toBeGreaterThan(0);
    expect(names.indexOf(show)).toBe(names.indexOf(command) + 1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression / bash syntax, not a template
    expect(step(job, show).if).toBe("${{ always() }}");
  });

  it("every action is pinned: checkout to the spec's commit, the others to a full SHA or an exact version", () => {
    const uses = job.steps.flatMap((s) => (s.uses === undefined ? [] : [s.uses]));
    expect(uses[0]).toBe(`actions/checkout@${CHECKOUT_SHA}`);
    expect(job.steps[0]?.with).toEqual({ "persist-credentials": false });
    for (const action of uses) expect(action).toMatch(/^[\w.-]+\/[\w.-]+@([0-9a-f]{40}|v\d+\.\d+\.\d+)$/);
    // Results survive the hosted runner (careful Q3): uploaded whatever the outcome.
    const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression / bash syntax, not a template
    expect(upload?.if).toBe("${{ always() }}");
    expect(String(upload?.with?.["path"])).toContain(
      "/.superloop/ops-manager/fleet/promotion-ci-result.json",
    );
  });

  it("uses the repository's own CLI: frozen-lockfile install, build, node apps/cli/dist/index.js", () => {
    const scripts = job.steps.map((s) => s.run ?? "").join("\n");
    expect(scripts).toContain("bash scripts/pnpm.sh install --frozen-lockfile");
    expect(scripts).toContain("turbo run build");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression / bash syntax, not a template
    expect(step(job, command).run).toContain('node apps/cli/dist/index.js "${args[@]}"');
    expect(step(job, command).shell).toBe("bash");
  });

  it("declares exactly the inputs of the spec, each copied into its variable and used by the command step", () => {
    const declared = workflow.on.workflow_dispatch.inputs;
    expect(Object.keys(declared)).toEqual(inputs.map(([name]) => name));
    const run = step(job, command).run ?? "";
    for (const [name, type, required, fallback, variable] of inputs) {
      const spec = declared[name] as InputSpec;
      expect({ name, type: spec.type, required: spec.required, default: spec.default }).toEqual({
        name,
        type,
        required,
        default: fallback,
      });
      const expression = job.env[variable] ?? "";
      expect(expression).toContain(`inputs.${name}`);
      expect(expression).toContain(`'${fallback === "" ? "" : String(fallback)}'`);
      if (type === "boolean") expect(expression).toContain(`format('{0}', inputs.${name})`);
      expect(run).toContain(`$${variable}`);
    }
  });
});

describe("triggers", () => {
  it("gates: dispatch and the daily 05:17 UTC schedule; rollout: dispatch only, choice options", () => {
    expect(Object.keys(gates.on)).toEqual(["workflow_dispatch", "schedule"]);
    expect(gates.on.schedule).toEqual([{ cron: "17 5 * * *" }]);
    expect(Object.keys(rollout.on)).toEqual(["workflow_dispatch"]);
    expect(rollout.on.workflow_dispatch.inputs["mode"]?.options).toEqual(["dry_run", "apply", "rollback"]);
    expect(rollout.on.workflow_dispatch.inputs["apply_intent"]?.options).toEqual(["expand", "resume"]);
  });
});

describe("command step scripts, run with bash", () => {
  let temp: TempDir;
  let argsFile: string;

  const STAND_IN = `import { writeFileSync } from "node:fs";
writeFileSync(process.env.ARGS_FILE, JSON.stringify(process.argv.slice(2)));
process.exit(Number(process.env.CLI_EXIT ?? "0"));
`;

  beforeEach(() => {
    temp = makeTempDir("promotion-workflows-");
    argsFile = path.join(temp.path, "args.json");
    mkdirSync(path.join(temp.path, "apps/cli/dist"), { recursive: true });
    writeFileSync(path.join(temp.path, "apps/cli/dist/index.js"), STAND_IN);
  });

  afterEach(async () => {
    await temp.cleanup();
  });

  function runStep(workflow: Workflow, jobId: string, name: string, env: Record<string, string>) {
    const script = step(workflow.jobs[jobId] as Job, name).run ?? "";
    writeFileSync(argsFile, "null");
    // GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
    const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd: temp.path,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ARGS_FILE: argsFile, ...env },
      encoding: "utf8",
    });
    return {
      status: result.status,
      stdout: result.stdout,
      args: JSON.parse(readFileSync(argsFile, "utf8")) as string[] | null,
    };
  }

  const GATES_ENV = {
    INPUT_REPO_PATH: ".",
    INPUT_SKIP_MISSING: "true",
    INPUT_FAIL_ON_HOLD: "false",
    INPUT_WINDOW_EXECUTIONS: "20",
    INPUT_MIN_SAMPLE_SIZE: "20",
    INPUT_MAX_AMBIGUITY_RATE: "0.2",
    INPUT_MAX_FAILURE_RATE: "0.2",
    INPUT_MAX_MANUAL_BACKLOG: "5",
    INPUT_MAX_DRILL_AGE_HOURS: "168",
  };

  it("gates: the spec's argument order with the default repo; skip/fail switches follow the booleans", () => {
    const defaults = runStep(gates, "promotion-gates", "Evaluate guarded-auto promotion gates", GATES_ENV);
    expect(defaults.status).toBe(0);
    expect(defaults.args).toEqual([
      "promotion",
      "ci",
      "--repo",
      ".",
      "--window-executions",
      "20",
      "--min-sample-size",
      "20",
      "--max-ambiguity-rate",
      "0.2",
      "--max-failure-rate",
      "0.2",
      "--max-manual-backlog",
      "5",
      "--max-drill-age-hours",
      "168",
      "--result-file",
      ".superloop/ops-manager/fleet/promotion-ci-result.json",
      "--summary-file",
      ".superloop/ops-manager/fleet/promotion-ci-summary.md",
      "--skip-on-missing-evidence",
    ]);
    const strict = runStep(gates, "promotion-gates", "Evaluate guarded-auto promotion gates", {
      ...GATES_ENV,
      INPUT_REPO_PATH: "fleet repo/",
      INPUT_SKIP_MISSING: "false",
      INPUT_FAIL_ON_HOLD: "true",
      CLI_EXIT: "2",
    });
    // A hold with fail-on-hold fails the step (exit 2).
    expect(strict.status).toBe(2);
    expect(strict.args?.slice(2, 4)).toEqual(["--repo", "fleet repo/"]);
    expect(strict.args?.slice(-5)).toEqual([
      "--result-file",
      "fleet repo/.superloop/ops-manager/fleet/promotion-ci-result.json",
      "--summary-file",
      "fleet repo/.superloop/ops-manager/fleet/promotion-ci-summary.md",
      "--fail-on-hold",
    ]);
  });

  it("gates show step: header + content, or `not found`", () => {
    const fleet = path.join(temp.path, ".superloop/ops-manager/fleet");
    mkdirSync(fleet, { recursive: true });
    writeFileSync(path.join(fleet, "promotion-ci-result.json"), '{"summary":{}}\n');
    const shown = runStep(gates, "promotion-gates", "Show promotion CI artifacts", GATES_ENV);
    expect(shown.stdout).toBe(
      '--- promotion-ci-result.json ---\n{"summary":{}}\npromotion-ci-summary.md not found\n',
    );
  });

  const ROLLOUT_ENV = {
    INPUT_REPO_PATH: ".",
    INPUT_MODE: "dry_run",
    INPUT_APPLY_INTENT: "expand",
    INPUT_EXPAND_STEP: "25",
    INPUT_SKIP_MISSING: "true",
    INPUT_FAIL_ON_HOLD: "false",
    INPUT_WINDOW_EXECUTIONS: "20",
    INPUT_MIN_SAMPLE_SIZE: "20",
    INPUT_MAX_AMBIGUITY_RATE: "0.2",
    INPUT_MAX_FAILURE_RATE: "0.2",
    INPUT_MAX_MANUAL_BACKLOG: "5",
    INPUT_MAX_DRILL_AGE_HOURS: "168",
    INPUT_IDEMPOTENCY_KEY: "",
    INPUT_TRACE_ID: "",
    INPUT_BY: "",
    INPUT_APPROVAL_REF: "",
    INPUT_RATIONALE: "",
    INPUT_REVIEW_BY: "",
    INPUT_LOOP_ID: "",
    INPUT_HORIZON_REF: "",
    INPUT_EVIDENCE_REFS: "",
  };
  const ORCHESTRATE = "Orchestrate promotion rollout transition";

  it("rollout dry_run: the spec's fixed argument order, no governance needed", () => {
    const result = runStep(rollout, "promotion-rollout", ORCHESTRATE, ROLLOUT_ENV);
    expect(result.status).toBe(0);
    expect(result.args).toEqual([
      "promotion",
      "orchestrate",
      "--repo",
      ".",
      "--mode",
      "dry_run",
      "--apply-intent",
      "expand",
      "--expand-step",
      "25",
      "--window-executions",
      "20",
      "--min-sample-size",
      "20",
      "--max-ambiguity-rate",
      "0.2",
      "--max-failure-rate",
      "0.2",
      "--max-manual-backlog",
      "5",
      "--max-drill-age-hours",
      "168",
      "--promotion-ci-result-file",
      ".superloop/ops-manager/fleet/promotion-ci-result.json",
      "--promotion-ci-summary-file",
      ".superloop/ops-manager/fleet/promotion-ci-summary.md",
      "--result-file",
      ".superloop/ops-manager/fleet/promotion-orchestrate-result.json",
      "--summary-file",
      ".superloop/ops-manager/fleet/promotion-orchestrate-summary.md",
      "--pretty",
      "--skip-on-missing-evidence",
    ]);
  });

  it("rollout apply: every value one argument (spaces intact), conditional flags, seam inputs", () => {
    const result = runStep(rollout, "promotion-rollout", ORCHESTRATE, {
      ...ROLLOUT_ENV,
      INPUT_MODE: "rollback",
      INPUT_SKIP_MISSING: "false",
      INPUT_FAIL_ON_HOLD: "true",
      INPUT_TRACE_ID: "trace 1",
      INPUT_IDEMPOTENCY_KEY: "key *",
      INPUT_BY: "oncall ana",
      INPUT_APPROVAL_REF: "INC-7",
      INPUT_RATIONALE: "incident rollback to manual pause",
      INPUT_REVIEW_BY: "2099-01-01T00:00:00Z",
      INPUT_LOOP_ID: "alpha",
      INPUT_HORIZON_REF: "h-1",
      INPUT_EVIDENCE_REFS: "change://INC-7, run log *.txt\n\n artifact://x ",
    });
    expect(result.status).toBe(0);
    expect(result.args?.slice(31)).toEqual([
      "--fail-on-hold",
      "--trace-id",
      "trace 1",
      "--idempotency-key",
      "key *",
      "--by",
      "oncall ana",
      "--approval-ref",
      "INC-7",
      "--rationale",
      "incident rollback to manual pause",
      "--review-by",
      "2099-01-01T00:00:00Z",
      "--loop-id",
      "alpha",
      "--horizon-ref",
      "h-1",
      "--evidence-ref",
      "change://INC-7",
      "--evidence-ref",
      "run log *.txt",
      "--evidence-ref",
      "artifact://x",
    ]);
    expect(result.args?.[30]).toBe("--pretty");
  });

  it.each([
    ["by", { INPUT_BY: "" }],
    ["approval_ref", { INPUT_APPROVAL_REF: "" }],
    ["rationale", { INPUT_RATIONALE: "", INPUT_REVIEW_BY: "" }],
    ["review_by", { INPUT_REVIEW_BY: "" }],
  ])("rollout apply without %s: error annotation, exit 1, the CLI never runs", (name, missing) => {
    const result = runStep(rollout, "promotion-rollout", ORCHESTRATE, {
      ...ROLLOUT_ENV,
      INPUT_MODE: "apply",
      INPUT_BY: "ana",
      INPUT_APPROVAL_REF: "CAB-1",
      INPUT_RATIONALE: "why",
      INPUT_REVIEW_BY: "2099-01-01T00:00:00Z",
      ...missing,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(`::error::input '${name}' is required for mode=apply\n`);
    expect(result.args).toBeNull();
  });

  it("rollout show step prints the four paths in order", () => {
    const fleet = path.join(temp.path, ".superloop/ops-manager/fleet");
    mkdirSync(fleet, { recursive: true });
    writeFileSync(path.join(fleet, "promotion-ci-summary.md"), "## Ops Manager Promotion CI\n");
    const shown = runStep(rollout, "promotion-rollout", "Show promotion rollout artifacts", ROLLOUT_ENV);
    expect(shown.stdout).toBe(
      [
        ".superloop/ops-manager/fleet/promotion-orchestrate-result.json not found",
        ".superloop/ops-manager/fleet/promotion-orchestrate-summary.md not found",
        ".superloop/ops-manager/fleet/promotion-ci-result.json not found",
        "--- .superloop/ops-manager/fleet/promotion-ci-summary.md ---",
        "## Ops Manager Promotion CI",
        "",
      ].join("\n"),
    );
  });
});
