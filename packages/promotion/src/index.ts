// Promotion gates, CI wrapper, audited apply and orchestration.
export {};
