import { GatewayEnvSchema } from '@realchat/gateway';
import { serviceEnvSchema, type AnyServiceDefinition, type ServiceCommand } from '@realchat/runtime';

/** Every variable of the embedded system: the runtime's, each service's and the gateway's. */
export function cliEnvSchema(services: readonly AnyServiceDefinition[]) {
  return serviceEnvSchema(services, [GatewayEnvSchema]);
}

/** The services' own commands, with the service that runs each. */
export function serviceCommands(services: readonly AnyServiceDefinition[]): Array<{ readonly service: AnyServiceDefinition; readonly command: ServiceCommand }> {
  return services.flatMap((service) => (service.commands ?? []).map((command) => ({ service, command: command as ServiceCommand })));
}

export function usage(services: readonly AnyServiceDefinition[]): string {
  const line = (name: string, summary: string): string => `  ${name.padEnd(36)}${summary}`;
  return [
    'usage: realchat <command>',
    '',
    line('start', 'run the whole system (gateway + services) on one port'),
    line('migrate', 'apply every service\'s database migrations and exit'),
    ...serviceCommands(services).map(({ command }) => line(`${command.name}${command.args === undefined ? '' : ` ${command.args}`}`, command.summary)),
    line('outbox failed', 'list the events the outbox relays gave up on (dead letters)'),
    line('outbox requeue <service> <seq|all>', 'send dead letters again, once their cause is fixed'),
    '',
    'Configuration comes from environment variables (see README.md); with no DATABASE_URL, REDIS_URL',
    'or NATS_URL the embedded engines are used, with data under DATA_DIR (default ./data).',
  ].join('\n');
}
