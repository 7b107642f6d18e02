import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

export type TensorflowBackend = 'tensorflow' | 'wasm' | 'cpu'

/**
 * Chooses the tfjs backend for training: `@tensorflow/tfjs-node` where it installed (an optional
 * dependency: its install script downloads libtensorflow, which fails on machines without
 * internet), else the wasm backend, else the plain JS cpu backend. Returns the one in use.
 */
export async function selectTensorflowBackend(prefer?: TensorflowBackend): Promise<TensorflowBackend> {
  if (prefer !== 'wasm' && prefer !== 'cpu' && (await tryNativeBackend())) return 'tensorflow'
  if (prefer !== 'cpu' && (await tryWasmBackend())) return 'wasm'
  await tf.setBackend('cpu')
  await tf.ready()
  return 'cpu'
}

// A variable specifier: the optional package is usually absent, so it must not be resolved at build time.
const NATIVE_BACKEND_MODULE = '@tensorflow/tfjs-node'

async function tryNativeBackend(): Promise<boolean> {
  try {
    await import(NATIVE_BACKEND_MODULE)
    return (await tf.setBackend('tensorflow')) && tf.getBackend() === 'tensorflow'
  } catch {
    // Not installed here, or its native library is missing: the wasm backend takes over.
    return false
  }
}

async function tryWasmBackend(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    const require = createRequire(import.meta.url)
    // In Node the .wasm binaries are read from the package's dist folder (no network).
    wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`)
    return (await tf.setBackend('wasm')) && tf.getBackend() === 'wasm'
  } catch {
    return false
  }
}
