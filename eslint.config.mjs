import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "bin/**", "out/**", "dist/**", ".policy-base/**", "vitest.config.mts", "eslint.config.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Dynamic providers must require() inside their methods (closure serialization).
      "@typescript-eslint/no-require-imports": "off",
      "no-console": "off",
    },
  },
  {
    // scripts/ is plain CommonJS run by node before anything is compiled (scripts/build.js).
    files: ["scripts/**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly", __filename: "readonly" } },
  },
  {
    // Node scripts shipped to nodes as they are (components/mirrors/token-relay.cjs): no compiler.
    files: ["components/**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly" } },
  },
);
