export {
  type EvaluatorForward,
  type EvaluatorRun,
  PROMOTION_GATES_SCRIPT_ENV,
  parsePromotionEvaluatorArgs,
  promotionEvaluatorArgs,
  runPromotionEvaluator,
} from "./evaluator.js";
export {
  EVALUATOR_OUTPUT_INVALID_MESSAGE,
  GITHUB_STEP_SUMMARY_ENV,
  type PromotionCiContext,
  type PromotionCiInput,
  type PromotionCiOutcome,
  type PromotionCiPath,
  promotionCi,
} from "./promotion-ci.js";
export {
  type PromotionCiDecision,
  type PromotionCiResult,
  PromotionCiResultSchema,
  type PromotionCiSkippedResult,
  PromotionCiSkippedResultSchema,
  promotionCiDecisionOf,
} from "./schemas.js";
export { renderEvaluatedSummary, renderSkippedSummary } from "./summary.js";
