// Placeholder until the enqueue function lands in this next step.
export const handler = async (): Promise<void> => {};
