targetScope = 'subscription'

// Approvals on Azure: a Flex Consumption Function App (.NET 10 isolated) running the durable approval
// workflow, with identity-only storage, Key Vault (RBAC), a user-assigned identity and monitoring.
// No secret value, key or connection string appears here: the Indent secrets are put into Key Vault
// after deployment (docs/DEPLOY.md), and every data-plane access is by Entra identity.

@minLength(1)
@maxLength(64)
@description('Environment name (azd: AZURE_ENV_NAME); used in resource names and tags.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('The Indent space (account) petitions are created in.')
param indentSpace string

@description('Indent API root.')
param indentBaseUrl string = 'https://platform.indentapis.com/v1'

@description('Durable Functions task hub name (3-45 letters and digits).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'approvals'

@description('Optional: user or group (object id) allowed to set and rotate the Indent secrets in Key Vault (azd: AZURE_PRINCIPAL_ID).')
param operatorPrincipalId string = ''

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional: an action group (resource id) the alert rules notify.')
param alertActionGroupId string = ''

@description('Refused webhook signatures within 5 minutes that raise the "spike" alert.')
@minValue(1)
param refusedWebhooksThreshold int = 20

@description('Always-ready instances for the Durable Functions group (0 scales it to zero; each one is billed while it waits).')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstances int = 1

@description('Longest an idle Durable Functions worker waits between polls of its task hub queues (hh:mm:ss; host.json\'s maxQueuePollingInterval, overridden here). It bounds how long a decision the webhook enqueues waits for the orchestration instance; a shorter cap costs an idle instance more storage requests (measured per cap in docs/BENCHMARKS.md, the queue-polling cap).')
param maxQueuePollingInterval string = '00:00:01'

@description('Fallback poll schedule and deadlines (seconds).')
param pollInitialSeconds int = 2
param pollMaxSeconds int = 300
param defaultDeadlineSeconds int = 86400
param maxDeadlineSeconds int = 604800

@description('Time-boxed access: requestable Indent resources and the Entra group (object id) each one grants, as resourceId=groupId pairs, comma-separated (empty: no resource can be requested). infra/scripts/grant-graph.sh --access grants the GroupMember.ReadWrite.All permission this needs.')
param accessGroups string = ''

@description('Client applications (application ids) whose tokens the API accepts, comma-separated. Empty: the Azure CLI and the API\'s own app registration.')
param authClients string = ''

@description('Indent actors (ids or emails) allowed to grant without being a directory person: auto-approval rules you trust, comma-separated. Empty: every grant needs a person.')
param autoApprovers string = ''

@description('Time-boxed access: shortest, longest and default duration one may ask for (seconds).')
param accessMinSeconds int = 60
param accessMaxSeconds int = 28800
param accessDefaultSeconds int = 3600

@description('Time-boxed access: how often the reconciler removes memberships that outlived their grant (NCRONTAB, every N seconds or minutes). A membership whose workflow could not end it outlives its grant by at most this interval.')
param reconcileSchedule string = '0 */1 * * * *'

@description('Client id of the API app registration (app roles Approvals.Request/Audit/Admin). infra/scripts/register-api.sh creates it; azd runs that script before provisioning.')
@minLength(36)
param apiClientId string

@description('Identifier URI of the API app registration, e.g. api://approvals-<environment> (also accepted as token audience).')
param apiIdentifierUri string = ''

@description('Webhook signature timestamp window, both directions (seconds).')
@minValue(1)
@maxValue(900)
param webhookToleranceSeconds int = 300

// Every name is overridable; by default an abbreviation plus a token unique to subscription, environment and region.
param resourceGroupName string = ''
param functionAppName string = ''
param planName string = ''
param storageAccountName string = ''
param keyVaultName string = ''
param credentialsVaultName string = ''
param identityName string = ''
param logAnalyticsName string = ''
param appInsightsName string = ''

var abbrs = loadJsonContent('abbreviations.json')
var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, application: 'approvals' }
var appName = !empty(functionAppName) ? functionAppName : '${abbrs.functionApp}approvals-${token}'
var deploymentContainerName = 'app-package-${take(token, 10)}'

// The secret names the app reads when KEY_VAULT_URI is set (KeyVaultSecretProvider: setting name, lower-case, dashes).
var indentTokenSecretName = 'indent-api-token'
var indentWebhookSecretName = 'indent-webhook-secret'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourceGroup}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: !empty(identityName) ? identityName : '${abbrs.managedIdentity}approvals-${token}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: !empty(storageAccountName) ? storageAccountName : take('${abbrs.storageAccount}appr${token}', 24)
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: !empty(keyVaultName) ? keyVaultName : take('${abbrs.keyVault}appr-${token}', 24)
    location: location
    tags: tags
  }
}

// Temporary credentials live in a vault of their own: the app may write there, and only there. It can read, never
// write, the Indent secrets, so a compromised app cannot replace the webhook secret and forge approvals.
module credentialsVault 'app/keyvault.bicep' = {
  name: 'credentials-vault'
  scope: rg
  params: {
    name: !empty(credentialsVaultName) ? credentialsVaultName : take('${abbrs.keyVault}apc-${token}', 24)
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.logAnalytics}approvals-${token}'
    appInsightsName: !empty(appInsightsName) ? appInsightsName : '${abbrs.appInsights}approvals-${token}'
    location: location
    tags: tags
    alertActionGroupId: alertActionGroupId
    refusedWebhooksThreshold: refusedWebhooksThreshold
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    credentialsVaultName: credentialsVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    operatorPrincipalId: operatorPrincipalId
  }
}

module function 'app/function.bicep' = {
  name: 'function'
  scope: rg
  dependsOn: [rbac]
  params: {
    planName: !empty(planName) ? planName : '${abbrs.appServicePlan}approvals-${token}'
    appName: appName
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    appInsightsConnectionString: monitoring.outputs.connectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    durableAlwaysReadyInstances: durableAlwaysReadyInstances
    applicationSettings: {
      INDENT_SPACE: indentSpace
      INDENT_BASE_URL: indentBaseUrl
      KEY_VAULT_URI: vault.outputs.uri
      CREDENTIALS_VAULT_URI: credentialsVault.outputs.uri
      GRAPH_BASE_URL: '${environment().graph}v1.0/'
      TASKHUB_NAME: taskHubName
      // Callers' Entra ID tokens: this tenant's v2.0 issuer, for this API's app registration.
      APPROVALS_AUTH_AUTHORITY: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
      APPROVALS_AUTH_AUDIENCE: empty(apiIdentifierUri) ? apiClientId : '${apiClientId},${apiIdentifierUri}'
      APPROVALS_AUTH_CLIENTS: authClients
      APPROVALS_AUTO_APPROVERS: autoApprovers
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval: maxQueuePollingInterval
      APPROVALS_POLL_INITIAL_SECONDS: string(pollInitialSeconds)
      APPROVALS_POLL_MAX_SECONDS: string(pollMaxSeconds)
      APPROVALS_DEFAULT_DEADLINE_SECONDS: string(defaultDeadlineSeconds)
      APPROVALS_MAX_DEADLINE_SECONDS: string(maxDeadlineSeconds)
      APPROVALS_WEBHOOK_TOLERANCE_SECONDS: string(webhookToleranceSeconds)
      APPROVALS_ACCESS_GROUPS: accessGroups
      APPROVALS_ACCESS_MIN_SECONDS: string(accessMinSeconds)
      APPROVALS_ACCESS_MAX_SECONDS: string(accessMaxSeconds)
      APPROVALS_ACCESS_DEFAULT_SECONDS: string(accessDefaultSeconds)
      APPROVALS_RECONCILE_SCHEDULE: reconcileSchedule
    }
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = function.outputs.name
output AZURE_CLIENT_ID string = identity.outputs.clientId
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output KEY_VAULT_NAME string = vault.outputs.name
output KEY_VAULT_URI string = vault.outputs.uri
output CREDENTIALS_VAULT_NAME string = credentialsVault.outputs.name
output INDENT_API_TOKEN_SECRET_NAME string = indentTokenSecretName
output INDENT_WEBHOOK_SECRET_NAME string = indentWebhookSecretName
output TASKHUB_NAME string = taskHubName
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output WEBHOOK_URL string = 'https://${function.outputs.defaultHostName}/api/webhooks/indent'
output API_BASE_URL string = 'https://${function.outputs.defaultHostName}/api'
