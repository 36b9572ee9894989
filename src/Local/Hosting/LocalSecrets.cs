using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Local.Actions;
using Microsoft.Extensions.Configuration;

namespace Approvals.Local.Hosting;

/// <summary>The Indent token and webhook secret for the emulator: from configuration when given, else generated once
/// and kept (owner-only) in the data directory so restarts keep verifying.</summary>
public static class LocalSecrets
{
    public const string FileName = "local-secrets.json";

    public static (string Token, string Secret, string? File) Resolve(IConfiguration configuration, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var token = configuration[IndentOptions.TokenSetting];
        var secret = configuration[IndentWebhookEndpoint.SecretSetting];
        if (!string.IsNullOrWhiteSpace(token) && !string.IsNullOrWhiteSpace(secret))
        {
            return (token.Trim(), secret.Trim(), null);
        }

        var file = Path.Combine(dataDirectory, FileName);
        Dictionary<string, string> stored = File.Exists(file)
            ? JsonSerializer.Deserialize(File.ReadAllText(file), LocalHostJsonContext.Default.DictionaryStringString) ?? []
            : [];
        if (!stored.ContainsKey(IndentOptions.TokenSetting))
        {
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            stored[IndentOptions.TokenSetting] = $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64("{\"sub\":\"local-dev@approvals.local\"}")}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
        }

        if (!stored.ContainsKey(IndentWebhookEndpoint.SecretSetting))
        {
            stored[IndentWebhookEndpoint.SecretSetting] = "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        }

        OwnerOnly.WriteAtomically(file, JsonSerializer.Serialize(stored, LocalHostJsonContext.Default.DictionaryStringString));
        return (string.IsNullOrWhiteSpace(token) ? stored[IndentOptions.TokenSetting] : token.Trim(),
                string.IsNullOrWhiteSpace(secret) ? stored[IndentWebhookEndpoint.SecretSetting] : secret.Trim(),
                file);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class LocalHostJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
