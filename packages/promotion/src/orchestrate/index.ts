export {
  argumentsToInput,
  type DelegateContext,
  type DelegateOutcome,
  type DelegateRunner,
  PROMOTION_APPLY_SCRIPT_ENV,
  PROMOTION_CI_SCRIPT_ENV,
} from "./delegates.js";
export {
  type PromotionOrchestrateContext,
  type PromotionOrchestrateInput,
  promotionOrchestrate,
} from "./orchestrate.js";
export {
  ORCHESTRATE_MODES,
  type OrchestrateMode,
  OrchestrateModeSchema,
  type PromotionOrchestrateResult,
  PromotionOrchestrateResultSchema,
} from "./schemas.js";
