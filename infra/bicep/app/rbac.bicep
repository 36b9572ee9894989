@description('Role assignments, each the narrowest that works, for the app identity (and optionally the operator).')
param principalId string
param storageAccountName string
@description('The vault of the Indent secrets and the seal key: the app only reads it.')
param keyVaultName string
@description('The vault of temporary credentials: the only one the app may write.')
param credentialsVaultName string
param appInsightsName string

@description('Optional: a user or group allowed to set the Indent secrets in Key Vault.')
param operatorPrincipalId string = ''

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Functions host: blob leases, deployment package
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Durable Functions control and work-item queues
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Durable Functions history and instances tables
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // read the Indent token and webhook secret
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // operator: set and rotate the Indent secrets
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Entra-only Application Insights ingestion

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource credentialsVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: credentialsVaultName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageBlobDataOwner)
  scope: storage
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner) }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageQueueDataContributor)
  scope: storage
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor) }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageTableDataContributor)
  scope: storage
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor) }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser) }
}

// Temporary credentials need set, update (tag applied) and delete (destroyed once collected by the requester, or
// expired) — nothing more: no purge (the vault's purge protection keeps a deleted one recoverable by an
// administrator until its retention ends), no backup, no restore.
// A custom role scoped to this resource group, narrower than Key Vault Secrets Officer.
resource credentialWriterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'approvals-temporary-credential-writer')
  properties: {
    // Role names are unique per tenant: a second subscription with the same resource group name must not collide.
    roleName: 'Approvals temporary credential writer (${resourceGroup().name}, ${uniqueString(subscription().id, resourceGroup().id)})'
    description: 'Create temporary-credential secrets, mark them applied, delete them once collected. No purge, backup or restore.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/secrets/setSecret/action'
          'Microsoft.KeyVault/vaults/secrets/update/action'
          'Microsoft.KeyVault/vaults/secrets/delete'
        ]
        notDataActions: []
      }
    ]
  }
}

// Read (the reset's idempotency checks) and write, on the credentials vault only.
resource credentialsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(credentialsVault.id, principalId, keyVaultSecretsUser)
  scope: credentialsVault
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser) }
}

// A role assignment names its role by the subscription-level id ("/subscriptions/{guid}/providers/
// Microsoft.Authorization/roleDefinitions/{id}", Role Definitions - Get By Id,
// https://learn.microsoft.com/rest/api/authorization/role-definitions/get-by-id); the role's own .id, deployed from this
// resource group, would carry the group's path. The assignment's name keeps its first form, so a redeploy finds it.
resource credentialWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(credentialsVault.id, principalId, credentialWriterRole.id)
  scope: credentialsVault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', credentialWriterRole.name)
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, principalId, monitoringMetricsPublisher)
  scope: insights
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher) }
}

resource operatorSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: { principalId: operatorPrincipalId, roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer) }
}
