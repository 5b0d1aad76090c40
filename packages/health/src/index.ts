// Health projection, threshold profiles, tuning, drift, escalations and alert dispatch.
export {};
