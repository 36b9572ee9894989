using System.Net.Http.Headers;
using Approvals.Core.Secrets;

namespace Approvals.Core.Indent;

/// <summary>Adds <c>Authorization: Bearer …</c> to every Indent request, reading the token on each attempt
/// so a rotated token is used without a restart. The token never reaches a log or an exception.</summary>
public sealed class IndentAuthHandler(ISecretProvider secrets) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await secrets.GetSecretAsync(IndentOptions.TokenSetting, cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CheckToken(token));
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Throws a message naming the setting, never the value, when the token is missing or unusable.</summary>
    public static string CheckToken(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new IndentConfigurationException($"{IndentOptions.TokenSetting} is not set: give the Indent API token (a service-account token from your Indent space), or set KEY_VAULT_URI to read it from Key Vault.");
        }

        if (token.Any(c => c <= ' ' || c > '~'))
        {
            throw new IndentConfigurationException($"{IndentOptions.TokenSetting} holds characters a bearer token cannot carry (whitespace or control characters).");
        }

        return token;
    }
}
