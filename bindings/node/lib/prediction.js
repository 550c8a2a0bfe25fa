'use strict';
// The result of one image.

class Prediction {
  /**
   * @param {number} digit the most probable class index
   * @param {string} label its label (the model's; "7" for the digit models)
   * @param {number} probability its probability
   * @param {Float32Array} probabilities one per class, summing to 1
   * @param {Float32Array} logProbabilities their logarithms
   * @param {readonly string[]} labels the model's labels, for topK
   */
  constructor(digit, label, probability, probabilities, logProbabilities, labels) {
    this.digit = digit;
    this.label = label;
    this.probability = probability;
    this.probabilities = probabilities;
    this.logProbabilities = logProbabilities;
    Object.defineProperty(this, 'labels', { value: labels }); // not enumerable: not part of the value
  }

  /** The `k` most probable classes, most probable first: [{digit, label, probability}]. */
  topK(k) {
    return Array.from(this.probabilities, (probability, digit) => ({ digit, label: this.labels[digit], probability }))
      .sort((a, b) => b.probability - a.probability || a.digit - b.digit)
      .slice(0, Math.max(0, k));
  }

  /** The Predictions of one call, from native.js's results (their buffer is theirs from then on). */
  static fromResults(r, labels) {
    const index = new Int32Array(r.buffer, 0, 2 * r.count); // di_prediction: {int32 class_index, float probability}
    const probability = new Float32Array(r.buffer, 0, 2 * r.count);
    const out = [];
    for (let i = 0; i < r.count; i++) {
      const digit = index[2 * i];
      const row = (offset) => new Float32Array(r.buffer, offset + i * r.numClasses * 4, r.numClasses);
      out.push(new Prediction(digit, labels[digit], probability[2 * i + 1], row(r.probabilities),
        row(r.logProbabilities), labels));
    }
    return out;
  }
}

module.exports = { Prediction };
