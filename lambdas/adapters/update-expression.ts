/**
 * Builds an UpdateExpression from attribute names and values held as placeholders, so no caller ever splices
 * text into an expression. Hand-written because lib-dynamodb has no builder and this one is 40 lines.
 *
 * @example
 * const u = new UpdateExpression().set('weight', 5).remove('zone');
 * u.build(); // { UpdateExpression: 'SET #n0 = :v0 REMOVE #n1', ExpressionAttributeNames: {...}, ... }
 */
export class UpdateExpression {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];

  /** Placeholder for an attribute name. */
  name(attribute: string): string {
    let placeholder = this.names.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.names.size}`;
      this.names.set(attribute, placeholder);
    }
    return placeholder;
  }

  /** Placeholder for a value. */
  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  set(attribute: string, value: unknown): this {
    this.sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  /** `SET attribute = <expression>`, where the expression is made of this builder's placeholders only. */
  setExpression(attribute: string, expression: string): this {
    this.sets.push(`${this.name(attribute)} = ${expression}`);
    return this;
  }

  remove(attribute: string): this {
    this.removes.push(this.name(attribute));
    return this;
  }

  build() {
    const clauses = [];
    if (this.sets.length > 0) clauses.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length > 0) clauses.push(`REMOVE ${this.removes.join(', ')}`);
    const hasValues = Object.keys(this.values).length > 0;
    return {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: Object.fromEntries([...this.names].map(([attribute, placeholder]) => [placeholder, attribute])),
      ...(hasValues && { ExpressionAttributeValues: { ...this.values } }),
    };
  }
}
