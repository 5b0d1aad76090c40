// Sprite-service transport: HTTP client and the request handlers served by the sprite-service app.
export {};
