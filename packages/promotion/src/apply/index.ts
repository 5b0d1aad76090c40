export {
  type PromotionApplyContext,
  type PromotionApplyInput,
  promotionApply,
  REVIEW_BY_FUTURE_PROBLEM,
} from "./apply.js";
export { isPromotionStderrError, PromotionStderrError } from "./errors.js";
export {
  DEFAULT_EXPAND_STEP,
  PROMOTION_APPLY_INTENTS,
  type PromotionApplyIntent,
  PromotionApplyIntentSchema,
  type PromotionApplyRecord,
  PromotionApplyRecordSchema,
  type PromotionApplyTelemetryRow,
  PromotionApplyTelemetryRowSchema,
} from "./schemas.js";
