import { intakeEventId } from './consume-intake.stamp';

describe('intakeEventId', () => {
  const at = new Date('2026-11-25T10:00:00Z');
  it('is a UUIDv7, the same for a redelivered message and different for another offset', () => {
    const a = intakeEventId({ topic: 'audit.intake.v1', partition: 0, offset: '42' }, at);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(intakeEventId({ topic: 'audit.intake.v1', partition: 0, offset: '42' }, at)).toBe(a);
    expect(intakeEventId({ topic: 'audit.intake.v1', partition: 0, offset: '43' }, at)).not.toBe(a);
    expect(intakeEventId({ topic: 'audit.intake.v1', partition: 1, offset: '42' }, at)).not.toBe(a);
  });
});
