export { setup, teardown } from '@churnwatch/testkit/global-setup'
