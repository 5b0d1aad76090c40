// Fleet policy evaluation: candidates, suppression, autonomy gates, safety rails, rollout and governance.
export {};
