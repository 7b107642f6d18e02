import * as tf from '@tensorflow/tfjs'

/**
 * Selects the pure-JS cpu backend for a test file. IS_TEST makes tfjs check every kernel for
 * leaked tensors (and silences its "install tfjs-node" banner).
 */
export async function useCpuBackend(): Promise<void> {
  tf.env().set('IS_TEST', true)
  await tf.setBackend('cpu')
}
