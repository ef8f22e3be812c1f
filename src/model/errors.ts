// Reference model: the model declines programs it cannot decide (interleavings).
export class Unsupported extends Error {}
