import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.infra/**', '**/.turbo/**', 'docs/**', '**/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      // Type-aware rules (floating and misused promises, no-unsafe-*): each file is checked with the
      // nearest tsconfig.json (every workspace's, and test/tsconfig.json for the root tests).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      // An async function without `await` is how an interface that wants a promise is met here
      // (Fastify plugins and handlers, kafkajs handlers, start/close methods); dropping `async`
      // would make each one build its promise by hand. Floating and misused promises stay checked.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Name every export; no `export *`.' },
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@churnwatch/*/src/*', '@churnwatch/*/dist/*'], message: 'Use the package exports.' }] },
      ],
      // Config is read in one place per service (config.ts); everything else receives it.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read process.env only in config.ts.' },
      ],
    },
  },
  {
    // Places allowed to read the environment: config modules, test setup, dev tooling.
    files: ['**/config.ts', '**/test/**', '**/global-setup.ts', 'infra/**', 'bench/**', '**/*.config.ts', 'vitest.shared.mjs', '.ci/**'],
    rules: { 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.config.ts', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Vitest's asymmetric matchers (expect.any, expect.stringMatching, expect.closeTo, ...) are typed
    // `any` by design, and tests put them inside expected objects. The other no-unsafe-* rules stay on
    // in tests, and all of them in source.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // Plain JS and tool configs are in no tsconfig project: lint them without type information.
    files: ['**/*.{js,mjs,cjs}', '**/vitest.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
)
