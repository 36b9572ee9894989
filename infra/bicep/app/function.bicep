@description('Flex Consumption plan and the .NET 10 isolated Function App, running as the user-assigned identity.')
param planName string
param appName string
param location string
param tags object

@description('Resource id, client id of the user-assigned identity the app runs as.')
param identityId string
param identityClientId string

param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerUrl string
param appInsightsConnectionString string

@description('Instance memory (MB): 512, 2048 or 4096.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound on scale-out.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Always-ready instances for the durable group (orchestrator and activities scale together there).')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstances int

@description('App settings the application code reads (same names as in the code and host.json).')
param applicationSettings object

var platformSettings = {
  // Identity-based AzureWebJobsStorage: blob, queue and table, all three needed by Durable Functions.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
  // DefaultAzureCredential (Key Vault, Graph) picks the user-assigned identity by this.
  AZURE_CLIENT_ID: identityClientId
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        // "durable" is the group of all Durable-triggered functions (orchestration, activity, entity); an always-ready
        // instance there runs a webhook-woken orchestration without a cold start.
        alwaysReady: [
          { name: 'durable', instanceCount: durableAlwaysReadyInstances }
        ]
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: union(platformSettings, applicationSettings)
  }

  // No basic-auth publishing: deployments authenticate with Entra ID.
  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }

  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
