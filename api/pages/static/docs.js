// The API reference: Swagger UI (bundled, pinned: see api/pages/vendor.sh) on /openapi.yaml.
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // no badge fetched from validator.swagger.io
  tryItOutEnabled: false,
  defaultModelsExpandDepth: 0,
});
