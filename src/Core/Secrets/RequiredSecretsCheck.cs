using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Microsoft.Extensions.Hosting;

namespace Approvals.Core.Secrets;

/// <summary>Fails the host at start, naming the setting, when the Indent token, webhook secret or seal key cannot be read.</summary>
public sealed class RequiredSecretsCheck(ISecretProvider secrets) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await CheckIndentTokenAsync(secrets, cancellationToken);
        if (await secrets.GetSecretAsync(IndentWebhookEndpoint.SecretSetting, cancellationToken) is null)
        {
            throw new IndentConfigurationException($"{IndentWebhookEndpoint.SecretSetting} is not set: give the secret Indent signs webhooks with (several, comma-separated, while rotating), or set KEY_VAULT_URI to read it from Key Vault.");
        }

        await CheckSealKeyAsync(secrets, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Throws naming <c>INDENT_API_TOKEN</c> (never its value) when the token is missing or unusable.</summary>
    public static async Task CheckIndentTokenAsync(ISecretProvider secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        IndentAuthHandler.CheckToken(await secrets.GetSecretAsync(IndentOptions.TokenSetting, cancellationToken));
    }

    /// <summary>Throws naming <c>APPROVALS_SEAL_KEY</c> (never its value) when no key seals petitions.</summary>
    public static async Task CheckSealKeyAsync(ISecretProvider secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (await secrets.GetSecretAsync(Workflow.PetitionSeal.KeySetting, cancellationToken) is null)
        {
            throw new IndentConfigurationException($"{Workflow.PetitionSeal.KeySetting} is not set: give a random key (32 bytes or more, hex) that seals our petitions (several, comma-separated, while rotating), or set KEY_VAULT_URI to read approvals-seal-key from Key Vault.");
        }
    }
}
