using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;

namespace Approvals.Core.Secrets;

/// <summary>Which required secrets cannot be read right now. The Functions app starts without them — azd deploys the
/// code before an operator stores the secrets, and role assignments take a while to propagate — and answers 503,
/// naming what is missing (never a value), until they can be read; it recovers without a restart.</summary>
public sealed class SecretsReadiness(ISecretProvider secrets)
{
    public static readonly IReadOnlyList<string> Required = [IndentOptions.TokenSetting, IndentWebhookEndpoint.SecretSetting, PetitionSeal.KeySetting];

    /// <summary>The required settings that are unset or unreadable (Key Vault refusing, say, while a role propagates).</summary>
    public async Task<IReadOnlyList<string>> MissingAsync(CancellationToken cancellationToken = default)
    {
        var missing = new List<string>();
        foreach (var name in Required)
        {
            try
            {
                if (await secrets.GetSecretAsync(name, cancellationToken) is null)
                {
                    missing.Add(name);
                }
            }
            catch (Exception e) when (e is Azure.RequestFailedException or Azure.Identity.AuthenticationFailedException or HttpRequestException or InvalidOperationException)
            {
                missing.Add(name);
            }
        }

        return missing;
    }
}
