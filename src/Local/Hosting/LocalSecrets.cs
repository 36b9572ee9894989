using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Microsoft.Extensions.Configuration;

namespace Approvals.Local.Hosting;

/// <summary>Local secrets: generated once and kept (owner-only) in the data directory so restarts keep verifying.</summary>
public static class LocalSecrets
{
    public const string FileName = "local-secrets.json";

    /// <summary>The Indent token and webhook secret (only when <paramref name="emulated"/>) and the petition seal key:
    /// each from configuration when given, else generated once and kept. Returns the overrides to apply and the file,
    /// when one was used.</summary>
    public static (Dictionary<string, string?> Overrides, string? File) Resolve(IConfiguration configuration, string dataDirectory, bool emulated)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var wanted = new Dictionary<string, Func<string>>(StringComparer.Ordinal) { [PetitionSeal.KeySetting] = () => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) };
        if (emulated)
        {
            wanted[IndentOptions.TokenSetting] = () =>
                $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64("{\"sub\":\"local-dev@approvals.local\"}")}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
            wanted[IndentWebhookEndpoint.SecretSetting] = () => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        }

        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        var missing = wanted.Keys.Where(k => string.IsNullOrWhiteSpace(configuration[k])).ToList();
        foreach (var key in wanted.Keys.Except(missing))
        {
            overrides[key] = configuration[key]!.Trim();
        }

        if (missing.Count == 0)
        {
            return (overrides, null);
        }

        var file = Path.Combine(dataDirectory, FileName);
        Dictionary<string, string> stored = File.Exists(file)
            ? JsonSerializer.Deserialize(File.ReadAllText(file), LocalHostJsonContext.Default.DictionaryStringString) ?? []
            : [];
        var changed = false;
        foreach (var key in missing)
        {
            if (!stored.TryGetValue(key, out var value))
            {
                stored[key] = value = wanted[key]();
                changed = true;
            }

            overrides[key] = value;
        }

        if (changed)
        {
            OwnerOnly.WriteAtomically(file, JsonSerializer.Serialize(stored, LocalHostJsonContext.Default.DictionaryStringString));
        }

        return (overrides, file);
    }

    static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class LocalHostJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
