// Compiled with `tsc --noEmit --strict` by run_tests.sh: the package's types (index.d.ts) describe
// the API as the tests and the README use it. Never run.
import { readFileSync } from 'node:fs';
import { DigitInferError, Model, Prediction, Status, version, type LoadOptions, type ModelInfo } from '..';

async function main(): Promise<void> {
  const options: LoadOptions = { engine: 'native', threads: 1, outputKind: 'logits', maxPixels: 1_000_000n,
    trustModel: false, cacheDir: null };
  const model = new Model('models/convnet.dimodel', options);
  const info: ModelInfo = model.info;
  const size: number = info.inputChannels * info.inputHeight * info.inputWidth;
  const p: Prediction = model.predict(readFileSync('examples/images/digit-7.png'));
  const digit: number = p.digit;
  const probabilities: Float32Array = p.probabilities;
  const best: { digit: number; probability: number }[] = p.topK(3);
  const q: Prediction = await model.predictAsync('examples/images/digit-2.png');
  const batch: Prediction[] = model.predictBatch([new URL('file:///x.png'), new Uint8Array(4)], { threads: 2 });
  model.predictGray(new Uint8Array(size), 28, 28);
  model.predictGray(new Uint8Array(32 * 28), 28, 28, 32);
  model.predictGrayBatch([{ pixels: new Uint8ClampedArray(size), width: 28, height: 28 }]);
  const [t]: Prediction[] = model.predictTensor(new Float32Array(size));
  const { image, tensor }: { image: Uint8Array; tensor: Float32Array } = model.preprocess(new ArrayBuffer(8));
  const loaded: Model = await Model.load(readFileSync('models/convnet.dimodel'));
  try {
    model.predict('missing.png');
  } catch (e) {
    if (e instanceof DigitInferError && e.code === Status.ERR_IO) console.log(e.status, e.message);
  }
  model.close();
  loaded.close();
  console.log(version(), digit, probabilities, best, q, batch, t, image, tensor, model.closed);
}

void main;
